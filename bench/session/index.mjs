// npm run bench -- session: a 100,000-item synthetic shop (20,000 users, 400,000 interactions) and a
// default-preset model with a ranker trained natively; in Chromium, each session event is followed
// by a new top-10 (track + recommend, ranker and diversity included) — p50 / p95 over 200 events,
// per index kind and scene, on the full engine and on the serving engine (each in a fresh page,
// loading the shop's CSV files and the model files). Target: p95 <= 16 ms (one frame). With
// --baseline=DIR (an earlier build's dist/, bench/baseline.mjs) that build runs too, alternating
// with the current one, and the ratios current / baseline are printed. Writes
// bench/results/session.json.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fmt, machine, root, waitForIdle, withBrowserPage, writeResult } from '../lib.mjs';

const SHOP = { seed: 7, users: 20000, items: 100000, interactions: 400000 };

function recsys(args) {
  const r = spawnSync(join(root, 'build', 'recsys'), args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`recsys ${args.join(' ')}: ${r.stderr.slice(-1000)}`);
  return r.stdout;
}

export async function run() {
  const dir = join(root, 'data', 'demo', 'bench-session');
  const shopDir = join(dir, 'shop');
  const modelDir = join(dir, 'model');
  if (!existsSync(join(modelDir, 'manifest.json'))) {
    console.log('training the 100k-item model natively (once) …');
    mkdirSync(shopDir, { recursive: true });
    recsys(['generate', '--seed', String(SHOP.seed), '--users', String(SHOP.users), '--items', String(SHOP.items),
      '--interactions', String(SHOP.interactions), '--out', shopDir]);
    recsys(['train', '--data', shopDir, '--preset', 'default', '--epochs', '2', '--split', 'none', '--ranker', '--out', modelDir, '--quiet']);
  }
  const baselineArg = process.argv.find((a) => a.startsWith('--baseline='));
  const baseline = baselineArg ? resolve(baselineArg.slice('--baseline='.length)) : null;
  const engines = {};
  const baselineEngines = {};
  let chromium = null;
  await withBrowserPage(async (page, base, version) => {
    chromium = version;
    for (const engine of ['full', 'serve']) {
      // With a baseline, the two builds alternate, each in a fresh page.
      for (const [dist, into] of baseline ? [['/dist', engines], ['/baseline', baselineEngines]] : [['/dist', engines]]) {
        await waitForIdle();
        await page.goto(`${base}/bench/session/page.html`);
        await page.waitForFunction(() => window.benchReady === true);
        into[engine] = await page.evaluate((o) => window.runBench(o),
          { engine, dist, shopUrl: '/data/demo/bench-session/shop', modelUrl: '/data/demo/bench-session/model' });
      }
    }
  }, baseline ? [['/baseline/', baseline]] : []);
  const all = Object.values(engines).flatMap((e) => e.runs);
  const worst = Math.max(...all.map((r) => r.p95));
  const { full, serve } = engines;
  const ratios = {
    engineStart: serve.engineMs / full.engineMs, shopLoad: serve.datasetMs / full.datasetMs, modelLoad: serve.loadMs / full.loadMs,
    p95: Object.fromEntries(full.runs.map((r, i) => [`${r.kind} ${r.scene}`, serve.runs[i].p95 / r.p95])),
  };
  const vsBaseline = baseline ? Object.fromEntries(['full', 'serve'].map((e) => [e, Object.fromEntries(engines[e].runs.map((r, i) => [
    `${r.kind} ${r.scene}`, { p50: r.p50 / baselineEngines[e].runs[i].p50, p95: r.p95 / baselineEngines[e].runs[i].p95 }]))])) : null;
  const out = { benchmark: 'session', baseline, baselineEngines: baseline ? baselineEngines : undefined, vsBaseline, date: new Date().toISOString(), machine: machine(), chromium, shop: SHOP, items: full.items,
    ranker: full.ranker, engines, ratios, targets: { 'p95 <= 16 ms (every index, scene and engine)': worst <= 16 } };
  const file = writeResult('session', out);
  console.log(`\nevent -> new top-10 on ${fmt(full.items)} items in Chromium ${chromium} (ranker ${full.ranker}):`);
  for (const [name, e] of Object.entries(engines)) {
    console.log(`  ${name} engine: start ${fmt(e.engineMs)} ms, shop ${fmt(e.datasetMs)} ms, model ${fmt(e.loadMs)} ms`);
    for (const r of e.runs) console.log(`    ${r.kind.padEnd(6)} ${r.scene.padEnd(10)} p50 ${fmt(r.p50, 2)} ms  p95 ${fmt(r.p95, 2)} ms  (index build ${fmt(r.buildMs)} ms)`);
  }
  console.log(`  serve / full: start ${fmt(ratios.engineStart, 2)}x, shop ${fmt(ratios.shopLoad, 2)}x, model ${fmt(ratios.modelLoad, 2)}x, ` +
    `p95 ${Object.values(ratios.p95).map((x) => fmt(x, 2)).join(' / ')}x`);
  if (vsBaseline) {
    for (const [e, runs] of Object.entries(vsBaseline)) {
      console.log(`  current / baseline, ${e} engine: ${Object.entries(runs).map(([k, v]) => `${k} p50 ${fmt(v.p50, 2)}x p95 ${fmt(v.p95, 2)}x`).join(', ')}`);
    }
  }
  console.log(`  ${worst <= 16 ? 'met ' : 'MISS'}  p95 <= 16 ms`);
  console.log(`wrote ${file}`);
  return out;
}
