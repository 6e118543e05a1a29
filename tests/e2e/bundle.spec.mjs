// recsys-wasm as a new user bundles it: two tiny pages built with Vite 5 (a devDependency), one
// importing 'recsys-wasm' (both engines, loaded on demand), one 'recsys-wasm/serve' (the serving
// engine alone). The builds must print no warning, ship no Node-only code and no .d.mts, ship
// only the engines the page can load, and run in Chromium.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createLogger } from 'vite';
import { startServer } from '../../web/server.mjs';
import { createRecsys } from 'recsys-wasm';

const root = fileURLToPath(new URL('../../', import.meta.url));
const golden = join(root, 'tests', 'golden', 'two_tower_v1');

const FULL_APP = `
import { createRecsys } from 'recsys-wasm';
createRecsys().then(async (rs) => {
  const shop = rs.generateShop({ users: 200, items: 100, interactions: 2000, seed: 5 });
  const trainer = rs.createTrainer(shop, { epochs: 1 });
  await trainer.train();
  const rec = rs.createRecommender({ model: trainer.model, dataset: shop });
  window.result = { engine: rs.engine, ids: rec.recommend({ userId: 'user_1', k: 5 }).map((r) => r.id) };
}).catch((e) => { window.result = { error: String(e) }; });
`;

const SERVE_APP = `
import { createRecsys } from 'recsys-wasm/serve';
const text = (url) => fetch(url).then((r) => r.text());
createRecsys().then(async (rs) => {
  const model = await rs.loadModel({ weights: './model/model.safetensors', manifest: './model/manifest.json' });
  const dataset = rs.loadDataset({ catalog: await text('./shop/catalog.csv'), interactions: await text('./shop/interactions.csv') });
  const rec = rs.createRecommender({ model, dataset });
  const session = rec.createSession();
  session.track({ itemId: 'item_7', event: 'click', timestamp: 1 });
  window.result = { engine: rs.engine, ids: rec.recommend({ session, k: 5 }).map((r) => r.id) };
}).catch((e) => { window.result = { error: String(e) }; });
`;

let work;
let server;
const builds = {};

function files(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) files(join(dir, e.name), out);
    else out.push(join(dir, e.name));
  }
  return out;
}

async function viteBuild(name, source) {
  const app = join(work, name);
  mkdirSync(join(app, 'public'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  writeFileSync(join(app, 'index.html'), '<!doctype html><title>app</title><script type="module" src="./main.js"></script>\n');
  writeFileSync(join(app, 'main.js'), source);
  // The package as an installed dependency would be found.
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(root, join(app, 'node_modules', 'recsys-wasm'), 'dir');
  const warnings = [];
  const logger = createLogger('warn');
  logger.warn = (msg) => warnings.push(msg);
  logger.warnOnce = (msg) => warnings.push(msg);
  await build({ root: app, base: './', logLevel: 'warn', customLogger: logger, configFile: false,
    build: { outDir: join(app, 'dist'), emptyOutDir: true } });
  const out = files(join(app, 'dist'));
  return { app, dir: join(app, 'dist'), warnings, out, names: out.map((f) => f.slice(join(app, 'dist').length + 1)) };
}

test.beforeAll(async () => {
  test.setTimeout(180_000);
  work = mkdtempSync(join(tmpdir(), 'recsys-vite-'));
  builds.full = await viteBuild('full', FULL_APP);
  builds.serve = await viteBuild('serve', SERVE_APP);
  // The serving page's data: the golden model and the shop it was trained on.
  const pub = join(builds.serve.dir);
  mkdirSync(join(pub, 'model'), { recursive: true });
  for (const f of ['model.safetensors', 'manifest.json']) copyFileSync(join(golden, f), join(pub, 'model', f));
  execFileSync(join(root, 'build', 'recsys'), ['generate', '--seed', '5', '--users', '200', '--items', '100',
    '--interactions', '2000', '--out', join(pub, 'shop')], { encoding: 'utf8' });
  server = await startServer({ port: 0, extraMounts: [['/full/', builds.full.dir], ['/serve/', builds.serve.dir]] });
});

test.afterAll(async () => {
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

for (const name of ['full', 'serve']) {
  test(`a Vite build of a page importing recsys-wasm${name === 'serve' ? '/serve' : ''} is clean`, () => {
    const b = builds[name];
    expect(b.warnings).toEqual([]);
    expect(b.names.filter((f) => f.endsWith('.d.mts') || f.endsWith('.d.ts'))).toEqual([]);
    const wasm = b.names.filter((f) => f.endsWith('.wasm')).map((f) => f.replace(/^assets\//, '').replace(/-[\w-]{8}\.wasm$/, '.wasm'));
    // The default entry can load either engine (each on first use); the serve entry only its own.
    expect(wasm.sort()).toEqual(name === 'full' ? ['recsys-mt.wasm', 'recsys-serve.wasm', 'recsys.wasm'] : ['recsys-serve.wasm']);
    for (const f of b.out.filter((x) => x.endsWith('.js'))) {
      const js = readFileSync(f, 'utf8');
      expect(js).not.toContain('node:fs');
      expect(js).not.toContain('__vite-browser-external');
    }
  });
}

test('both bundled pages run in Chromium and serve the lists the package serves in Node', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const base = `http://127.0.0.1:${server.address().port}`;
  const result = async (path) => {
    await page.goto(`${base}${path}`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
    return page.evaluate(() => window.result);
  };
  // Node, through the package's node entry: the same model and data as the serving page.
  const rs = await createRecsys({ engine: 'serve' });
  const model = await rs.loadModel({ weights: join(golden, 'model.safetensors'), manifest: join(golden, 'manifest.json') });
  const shopDir = join(builds.serve.dir, 'shop');
  const dataset = rs.loadDataset({ catalog: readFileSync(join(shopDir, 'catalog.csv'), 'utf8'),
    interactions: readFileSync(join(shopDir, 'interactions.csv'), 'utf8') });
  const rec = rs.createRecommender({ model, dataset });
  const session = rec.createSession();
  session.track({ itemId: 'item_7', event: 'click', timestamp: 1 });
  const expected = rec.recommend({ session, k: 5 }).map((r) => r.id);
  const served = await result('/serve/index.html');
  expect(served).toEqual({ engine: 'serve', ids: expected });
  const full = await result('/full/index.html');
  expect(full.engine).toBe('full');
  expect(full.ids).toHaveLength(5);
  expect(errors).toEqual([]);
});
