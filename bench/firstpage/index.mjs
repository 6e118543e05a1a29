// npm run bench -- firstpage: how long the Recommend page takes to show its first recommendations,
// from navigation, over 7 cold loads (a fresh browser context each: empty HTTP cache, a new wasm
// compile), on localhost with the demo shop and model that `npm start` writes. Also the page's own
// marks (performance.mark: engine started, dataset loaded, model loaded), so the time can be
// split. Writes bench/results/firstpage.json.
import { startServer } from '../../web/server.mjs';
import { CHROMIUM_ARGS, fmt, machine, waitForIdle, writeResult } from '../lib.mjs';

const LOADS = 7;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

export async function run() {
  const server = await startServer({ port: 0 });  // the pages as npm start serves them
  const base = `http://127.0.0.1:${server.address().port}`;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const version = browser.version();
  const loads = [];
  try {
    for (let i = 0; i < LOADS; i++) {
      await waitForIdle();
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${base}/recommend.html`, { waitUntil: 'commit' });
      // Polled every 5 ms: the time is read in the page within 5 ms of the 10th card appearing.
      await page.waitForFunction(() => document.querySelectorAll('#cards .card').length === 10, null, { polling: 5, timeout: 30000 });
      const t = await page.evaluate(() => {
        const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? null;
        return { visibleMs: performance.now(), engineMs: mark('recsys:engine'), datasetMs: mark('recsys:dataset'), modelMs: mark('recsys:model'),
          engine: document.getElementById('engine').textContent };
      });
      loads.push(t);
      console.log(`  load ${i + 1}: first recommendations at ${fmt(t.visibleMs)} ms (engine ${fmt(t.engineMs)}, dataset ${fmt(t.datasetMs)}, model ${fmt(t.modelMs)})`);
      await context.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  const m = (k) => median(loads.map((x) => x[k]));
  const summary = { visibleMs: m('visibleMs'), engineMs: m('engineMs'), datasetMs: m('datasetMs'), modelMs: m('modelMs'),
    minMs: Math.min(...loads.map((x) => x.visibleMs)), maxMs: Math.max(...loads.map((x) => x.visibleMs)) };
  const targets = { 'first recommendations <= 0.5 s from navigation (median of 7 cold loads)': summary.visibleMs <= 500 };
  const out = { benchmark: 'firstpage', date: new Date().toISOString(), machine: machine(), chromium: version, loads, summary, targets };
  const file = writeResult('firstpage', out);
  console.log(`\nfirst recommendations: median ${fmt(summary.visibleMs)} ms (${fmt(summary.minMs)}–${fmt(summary.maxMs)}) over ${LOADS} cold loads; ` +
    `medians of the marks: engine ${fmt(summary.engineMs)}, dataset ${fmt(summary.datasetMs)}, model ${fmt(summary.modelMs)} ms`);
  for (const [k, v] of Object.entries(targets)) console.log(`  ${v ? 'met ' : 'MISS'}  ${k}`);
  console.log(`wrote ${file}`);
  return out;
}
