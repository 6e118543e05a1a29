// npm run bench -- firstpage: how long the Recommend page takes to show its first recommendations,
// from navigation, over 7 cold loads (a fresh browser context each: empty HTTP cache, a new wasm
// compile), on localhost with the demo shop and model that `npm start` writes. Also the page's own
// marks (performance.mark: engine started, dataset loaded, model loaded), so the time can be
// split, and in the same run three reference pages measured the same way: a page that runs one
// module script (what the browser alone takes to get to a script here), one that only starts
// the serving engine, and the page's floor: the Recommend page's own HTML and styles whose script
// starts the serving engine and downloads the page's files (shop, model, manifest), reading and
// computing nothing (made from web/recommend.html at each run), so that what the page itself
// does after its downloads shows as the difference. Writes bench/results/firstpage.json.
//
// Each load opens its context and an about:blank page first and waits for the CPUs to be quiet,
// then navigates: a new context makes this Chromium start a window whose WebUI renderer takes
// 1.5-1.8 s of CPU (measured from /proc), which otherwise competes with the page for the 2 cores.
// The figure is the page's 'recsys:render' mark (set when the list's cards are in the document),
// read once the 10 cards are there; polling for them every 5 ms, as before, cost CPU in the
// browser and the page while they loaded. The harness asks with a plain evaluate every 50 ms
// rather than Playwright's waitForFunction: that one first injects Playwright's own script
// (330 KB) into the page, which ran on the page's main thread while it loaded (a trace of a
// cold load: 36 ms compiling and running it, in an 81 ms task, before the page's module ran).
//
// With --baseline=DIR (an earlier build's dist/, bench/baseline.mjs) the same page runs on that
// build too, in the same rounds (a second server whose /dist/ is DIR, the page and data the
// same), and the per-round ratios current / baseline are reported: on a shared 2-core host the
// medians of two separate runs differ by more than most changes to the engine. A baseline gets
// the demo shop as its build shipped it: a build from before shop format version 2 (asked in
// Node) reads version 1 only, so its server serves the same shop written in version 1 (checked:
// the two files' checksums are the same); likewise a build from before model format version 3
// gets the page model written without pruning its user table (the same lists), and so does any
// baseline with --baseline-unpruned-model (to measure what the pruned file gains).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startServer } from '../../web/server.mjs';
import { DEMO_PRECISION } from '../../scripts/lib.mjs';
import { CHROMIUM_ARGS, fmt, machine, root, waitForQuiet, writeResult } from '../lib.mjs';

const LOADS = 7;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

// One cold load of `path`: a new context, settled, then navigation; returns the page's figures.
async function coldLoad(browser, url, read) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto('about:blank');
    await waitForQuiet();
    await page.goto(url, { waitUntil: 'commit' });
    const deadline = Date.now() + 30000;
    while (!(await page.evaluate(() => document.querySelectorAll('#cards .card').length === 10))) {
      if (Date.now() > deadline) throw new Error(`${url}: no 10 cards after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return await page.evaluate(read);
  } finally {
    await context.close();
  }
}

// Whether the baseline build (its dist/ directory) reads a demo file as it is now, asked of its
// serving engine in Node: load(recsys) reads it; an error matching `tooNew` (a format version the
// build does not read) means no, any other error is the bench's to report.
async function baselineReads(dist, load, tooNew) {
  const { createRecsys } = await import(pathToFileURL(join(dist, 'serve.node.mjs')).href);
  const rs = await createRecsys({ engine: 'serve' });
  try {
    (await load(rs)).dispose();
    return true;
  } catch (e) {
    if (tooNew.test(e.message)) return false;
    throw e;
  }
}

// The demo shop (version 2 since the evening of 2026-12-06).
const baselineReadsShop = (dist) => baselineReads(dist,
  (rs) => rs.loadDataset({ shop: new Uint8Array(readFileSync(join(root, 'data', 'demo', 'synthetic', 'shop.bin'))) }),
  /shop format version \d+ is not supported/);

// The demo shop (data/demo/synthetic/) written again with shop.bin in format version 1.
function shopVersion1() {
  const dir = join(root, 'data', 'demo', 'baseline', 'shop-v1');
  const r = spawnSync(join(root, 'build', 'recsys'), ['generate', '--json', '--out', dir, '--format', 'csv', '--shop-version', '1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`recsys generate --shop-version 1 failed: ${r.stderr}`);
  // Both versions keep the dataset checksum at bytes 12-19.
  const sum = (file) => readFileSync(file).subarray(12, 20).toString('hex');
  if (sum(join(dir, 'shop.bin')) !== sum(join(root, 'data', 'demo', 'synthetic', 'shop.bin'))) {
    throw new Error(`the version 1 shop in ${dir} is not the demo shop (checksums differ)`);
  }
  return dir;
}

// The page model (format version 3: its user table holds the rows that users reach).
const baselineReadsModel = (dist) => baselineReads(dist, (rs) => {
  const dir = join(root, 'data', 'demo', 'page-model');
  return rs.loadModel({ weights: new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), manifest: readFileSync(join(dir, 'manifest.json'), 'utf8') });
}, /format_version \d+ is not supported/);

// The page model (data/demo/model at DEMO_PRECISION) written without pruning its user table.
function pageModelUnpruned() {
  const dir = join(root, 'data', 'demo', 'baseline', 'page-model-unpruned');
  const r = spawnSync(join(root, 'build', 'recsys'), ['convert', '--model', join(root, 'data', 'demo', 'model'), '--precision', DEMO_PRECISION, '--out', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`recsys convert (unpruned page model) failed: ${r.stderr}`);
  return dir;
}

// The files that web/recommend.mjs downloads for its default shop and model.
const PAGE_FILES = ['data/demo/synthetic/shop.bin', 'data/demo/page-model/model.safetensors', 'data/demo/page-model/manifest.json'];

// The floor page: web/recommend.html with its module script replaced by one that starts the
// serving engine and downloads PAGE_FILES (as the page does: in parallel, preloaded by the same
// <link>s), then shows 10 empty cards. Served at /floor/ with <base href="/">, so that the HTML's
// relative URLs resolve as the page's do.
function floorPage() {
  const html = readFileSync(join(root, 'web', 'recommend.html'), 'utf8');
  const tag = '<script type="module" src="recommend.mjs"></script>';
  if (!html.includes(tag) || !html.includes('<head>')) throw new Error(`web/recommend.html: no ${tag} in its <head> to replace for the floor page`);
  const script = `<script type="module">
import { createRecsys } from '/dist/index.mjs';
const files = Promise.all(${JSON.stringify(PAGE_FILES)}.map((u) => fetch(u).then((r) => {
  if (!r.ok) throw new Error(\`\${u}: HTTP \${r.status}\`);
  return r.arrayBuffer();
})));
await createRecsys({ engine: 'serve' });
await files;
document.getElementById('cards').insertAdjacentHTML('beforeend', '<div class="card"></div>'.repeat(10));
performance.mark('ready');
</script>`;
  const dir = join(tmpdir(), 'recsys-firstpage-floor');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), html.replace('<head>', () => '<head>\n  <base href="/">').replace(tag, () => script));
  return dir;
}

export async function run() {
  const baselineArg = process.argv.find((a) => a.startsWith('--baseline='));
  const baseline = baselineArg ? resolve(baselineArg.slice('--baseline='.length)) : null;
  if (baseline && !existsSync(join(baseline, 'index.mjs'))) {
    throw new Error(`--baseline=${baseline}: no index.mjs there (an earlier build's dist/: npm run bench -- baseline --ref=COMMIT prints one)`);
  }
  const server = await startServer({ port: 0, extraMounts: [['/bench/', join(root, 'bench')], ['/floor/', floorPage()]] });
  const base = `http://127.0.0.1:${server.address().port}`;
  const unprunedModel = baseline && (process.argv.includes('--baseline-unpruned-model') || !(await baselineReadsModel(baseline)));
  const baselineMounts = baseline ? [['/dist/', baseline], ...(await baselineReadsShop(baseline) ? [] : [['/data/demo/synthetic/', shopVersion1()]]),
    ...(unprunedModel ? [['/data/demo/page-model/', pageModelUnpruned()]] : [])] : null;
  const baselineServer = baseline ? await startServer({ port: 0, extraMounts: baselineMounts }) : null;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const version = browser.version();
  const loads = [];
  const baselineLoads = [];
  const reference = { script: [], engine: [], floor: [] };
  const marks = () => {
    const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? null;
    return { visibleMs: mark('recsys:render'), engineMs: mark('recsys:engine'), datasetMs: mark('recsys:dataset'), modelMs: mark('recsys:model'),
      engine: document.getElementById('engine').textContent };
  };
  try {
    for (let i = 0; i < LOADS; i++) {
      // With a baseline, the two builds take turns going first.
      if (baselineServer && i % 2 === 1) baselineLoads.push(await coldLoad(browser, `http://127.0.0.1:${baselineServer.address().port}/recommend.html`, marks));
      const t = await coldLoad(browser, `${base}/recommend.html`, marks);
      loads.push(t);
      if (baselineServer && i % 2 === 0) baselineLoads.push(await coldLoad(browser, `http://127.0.0.1:${baselineServer.address().port}/recommend.html`, marks));
      if (baselineServer) console.log(`  load ${i + 1}, baseline build: first recommendations at ${fmt(baselineLoads.at(-1).visibleMs)} ms`);
      // The reference pages, in the same rounds.
      const mark = () => performance.getEntriesByName('ready')[0]?.startTime ?? null;
      reference.script.push(await coldLoad(browser, `${base}/bench/firstpage/script.html`, mark));
      reference.engine.push(await coldLoad(browser, `${base}/bench/firstpage/engine.html`, mark));
      reference.floor.push(await coldLoad(browser, `${base}/floor/`, mark));
      console.log(`  load ${i + 1}: first recommendations at ${fmt(t.visibleMs)} ms (engine ${fmt(t.engineMs)}, dataset ${fmt(t.datasetMs)}, model ${fmt(t.modelMs)}); ` +
        `reference pages: a module script ${fmt(reference.script.at(-1))}, the serving engine started ${fmt(reference.engine.at(-1))}, ` +
        `the page's floor (engine started, files downloaded) ${fmt(reference.floor.at(-1))}`);
    }
  } finally {
    await browser.close();
    server.close();
    baselineServer?.close();
  }
  const m = (k) => median(loads.map((x) => x[k]));
  const summary = { visibleMs: m('visibleMs'), engineMs: m('engineMs'), datasetMs: m('datasetMs'), modelMs: m('modelMs'),
    minMs: Math.min(...loads.map((x) => x.visibleMs)), maxMs: Math.max(...loads.map((x) => x.visibleMs)),
    scriptPageMs: median(reference.script), enginePageMs: median(reference.engine), floorPageMs: median(reference.floor) };
  const vsBaseline = baseline ? {
    dir: baseline,
    pageModel: unprunedModel ? 'written without pruning its user table' : 'the same as the current build',
    visibleMs: median(baselineLoads.map((x) => x.visibleMs)),
    ratio: median(loads.map((x, i) => x.visibleMs / baselineLoads[i].visibleMs)),
    steps: Object.fromEntries([['dataset', 'engineMs', 'datasetMs'], ['model', 'datasetMs', 'modelMs'], ['render', 'modelMs', 'visibleMs']].map(([k, a, b]) => [k, {
      current: median(loads.map((x) => x[b] - x[a])), baseline: median(baselineLoads.map((x) => x[b] - x[a])) }])),
  } : null;
  const targets = { 'first recommendations <= 0.5 s from navigation (median of 7 cold loads)': summary.visibleMs <= 500 };
  const out = { benchmark: 'firstpage', date: new Date().toISOString(), machine: machine(), chromium: version,
    method: 'fresh context per load, settled on about:blank until the CPUs are quiet, then navigated; polled with page.evaluate every 50 ms (no injected script); figure = the page\'s recsys:render mark',
    loads, reference, summary, baselineLoads: baseline ? baselineLoads : undefined, vsBaseline, targets };
  const file = writeResult('firstpage', out);
  console.log(`\nfirst recommendations: median ${fmt(summary.visibleMs)} ms (${fmt(summary.minMs)}–${fmt(summary.maxMs)}) over ${LOADS} cold loads; ` +
    `medians of the marks: engine ${fmt(summary.engineMs)}, dataset ${fmt(summary.datasetMs)}, model ${fmt(summary.modelMs)} ms; ` +
    `reference pages: a module script ${fmt(summary.scriptPageMs)} ms, the serving engine started ${fmt(summary.enginePageMs)} ms, ` +
    `the page's floor (its HTML, the engine started and its files downloaded, nothing read) ${fmt(summary.floorPageMs)} ms`);
  if (vsBaseline) {
    console.log(`baseline build (${baseline}), same rounds: median ${fmt(vsBaseline.visibleMs)} ms; current / baseline per round: median ${fmt(vsBaseline.ratio, 3)}; ` +
      `steps (current vs baseline medians): ${Object.entries(vsBaseline.steps).map(([k, v]) => `${k} ${fmt(v.current)} vs ${fmt(v.baseline)} ms`).join(', ')}`);
  }
  for (const [k, v] of Object.entries(targets)) console.log(`  ${v ? 'met ' : 'MISS'}  ${k}`);
  console.log(`wrote ${file}`);
  return out;
}
