// npm run bench -- requests [--baseline=DIR]: the request path's cost per call — 10,000 warm
// recommend() calls (100,000 for cache hits) on the default demo shop (10,000 users, 5,000 items) with the default model
// and its ranker, result cache off and on, in Node and in Chromium (workload.mjs). With
// --baseline=DIR (the dist/ of an earlier build, see bench/baseline.mjs) both builds run in the
// same process, in rounds that alternate which goes first, and the ratios current / baseline are printed.
// Writes bench/results/requests.json.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fmt, machine, root, waitForIdle, withBrowserPage, writeResult } from '../lib.mjs';
import { compareLists, measure } from './workload.mjs';

function baselineDir() {
  const a = process.argv.find((x) => x.startsWith('--baseline='));
  if (!a) return null;
  const dir = a.slice('--baseline='.length);
  const abs = isAbsolute(dir) ? dir : resolve(process.cwd(), dir);
  if (!existsSync(join(abs, 'index.mjs'))) throw new Error(`--baseline: no index.mjs in ${abs}`);
  return abs;
}

// The baseline's Node entry: index.node.mjs when it has one, else its index.mjs (older builds read
// the .wasm themselves in Node).
async function nodeEntry(dir) {
  const file = existsSync(join(dir, 'index.node.mjs')) ? 'index.node.mjs' : 'index.mjs';
  return (await import(pathToFileURL(join(dir, file)).href)).createRecsys;
}

export async function run({ quick = false } = {}) {
  const base = baselineDir();
  const demo = join(root, 'data', 'demo');
  const data = {
    catalog: readFileSync(join(demo, 'synthetic', 'catalog.csv'), 'utf8'),
    interactions: readFileSync(join(demo, 'synthetic', 'interactions.csv'), 'utf8'),
    weights: new Uint8Array(readFileSync(join(demo, 'model', 'model.safetensors'))),
    manifest: readFileSync(join(demo, 'model', 'manifest.json'), 'utf8'),
  };
  const opts = { calls: quick ? 2000 : 10000, rounds: 6 };
  const engines = [{ label: 'current', createRecsys: await nodeEntry(join(root, 'build-wasm', 'dist')) }];
  if (base) engines.push({ label: 'baseline', createRecsys: await nodeEntry(base) });
  await waitForIdle();
  const node = await measure(engines, data, opts);
  let chromium = null;
  let inPage = null;
  await withBrowserPage(async (page, url, version) => {
    chromium = version;
    await waitForIdle();
    await page.goto(`${url}/bench/requests/page.html`);
    await page.waitForFunction(() => window.benchReady === true);
    inPage = await page.evaluate((o) => window.runBench(o), { baseline: Boolean(base), ...opts });
  }, base ? [['/baseline/', base]] : []);
  // The same lists from both builds, on random requests with sessions and filters.
  const agreement = base ? await compareLists(engines, data) : null;
  const ratios = {};
  if (base) {
    for (const [where, r] of [['node', node], ['chromium', inPage]]) {
      ratios[where] = Object.fromEntries(['off', 'on'].map((c) => [`cache ${c}`, r[c].current.usPerCall / r[c].baseline.usPerCall]));
    }
  }
  const out = { benchmark: 'requests', date: new Date().toISOString(), machine: machine(), chromium, baseline: base,
    calls: opts.calls, node, chromium_results: inPage, ratios, agreement };
  const file = writeResult('requests', out);
  console.log(`\n${fmt(opts.calls)} warm recommend() calls (cache hits: ${fmt(10 * opts.calls)}; k = 10, ranker on), default demo shop, serving engine:`);
  for (const [where, r] of [['node', node], [`Chromium ${chromium}`, inPage]]) {
    for (const c of ['off', 'on']) {
      const cur = r[c].current.usPerCall;
      const line = `  ${where.padEnd(20)} cache ${c.padEnd(3)}  current ${fmt(cur, 1)} µs/call`;
      console.log(base ? `${line}  baseline ${fmt(r[c].baseline.usPerCall, 1)} µs/call  current / baseline ${fmt(cur / r[c].baseline.usPerCall, 2)}x` : line);
    }
  }
  if (agreement) {
    console.log(`  lists of ${agreement.requests} random requests (sessions, filters, λ): ${agreement.ids} differ in ids, ` +
      `${agreement.sources} in sources, ${agreement.scores} in scores (> 1e-6)`);
  }
  console.log(`wrote ${file}`);
  return out;
}
