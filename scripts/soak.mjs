// npm run soak [-- --calls N --cycles N]: the engine in headless Chromium (Debian's chromium, via
// Playwright) under a long, mixed load. Part 1: after a warm-up, N recommend calls (default
// 100,000) over users, scenes, k, diversity and filters, interleaved with session events, a new
// session every 1,000 calls (the old one disposed) and some refused requests. Part 2: N create /
// train / serve / dispose cycles (default 20). Passes when the wasm heap does not grow after the
// warm-up, malloc's live bytes stay flat, and the console shows no error; prints the figures and
// writes bench/results/soak.json.
import { chromium } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../web/server.mjs';
import { build, fail, log, root, setup } from './lib.mjs';

const arg = (name, fallback) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const i = process.argv.indexOf(`--${name}`);
  return Number(a ? a.split('=')[1] : i > 0 ? process.argv[i + 1] : fallback);
};
const calls = arg('calls', 100_000);
const cycles = arg('cycles', 20);
if (!(calls >= 20_000) || !(cycles >= 3)) fail('--calls must be >= 20000 and --cycles >= 3');

setup({ browser: true });
build({ native: false, wasm: true });
const port = Number(process.env.RECSYS_SOAK_PORT ?? 8137);
const server = await startServer({ port });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage();
const problems = [];
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
// A blank page of the demo's origin (no app of its own running, no favicon request); the engine
// comes from the server's /dist/ as in the demo pages.
await page.route('**/soak.html', (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><link rel="icon" href="data:,"><title>soak</title>' }));
await page.goto(`http://127.0.0.1:${port}/soak.html`);
page.setDefaultTimeout(0);

const t0 = Date.now();
const result = await page.evaluate(async ({ calls, cycles }) => {
  const { createRecsys } = await import('/dist/index.mjs');
  const rs = await createRecsys();
  let seed = 12345;
  const rand = (n) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
  const scenes = ['default', 'home_page', 'cart_page', 'product_page'];
  const events = ['view', 'click', 'add_to_cart', 'purchase'];
  const mem = () => rs.memoryUsage();

  // Part 1: the default shop, a model, one recommender; sessions come and go.
  const shop = rs.generateShop();
  const trainer = rs.createTrainer(shop, { epochs: 1, patience: 0 });
  await trainer.train();
  const model = trainer.model;
  trainer.dispose();
  const rec = rs.createRecommender({ model, dataset: shop });
  const users = shop.userIds({ limit: 10_000 });
  const items = shop.items({ limit: shop.numItems }).map((x) => x.id);
  const categories = [...new Set(shop.items({ limit: 200 }).map((x) => x.category))];
  let session = rec.createSession({ userId: users[0] });
  let t = 1_700_000_000;
  let refused = 0;
  let served = 0;
  let tracked = 0;
  const checkpoints = [];
  const warmup = Math.floor(calls / 10);
  const started = performance.now();
  for (let i = 0; i < warmup + calls; i++) {
    if (i % 1000 === 0) {
      if (i >= warmup && i % Math.floor(calls / 10) === 0) checkpoints.push({ calls: i - warmup, ...mem() });
      session.dispose();
      session = rec.createSession(rand(4) === 0 ? {} : { userId: users[rand(users.length)] });
    }
    if (i % 7 === 0) {
      session.track({ itemId: items[rand(items.length)], event: events[rand(4)], timestamp: (t += 1 + rand(60)) });
      if (i >= warmup) tracked++;
    }
    const scene = scenes[rand(4)];
    const request = { scene, k: 1 + rand(50) };
    if (rand(3) === 0) request.session = session; else request.userId = users[rand(users.length)];
    if (scene === 'product_page') request.itemId = items[rand(items.length)];
    if (rand(5) === 0) request.diversity = rand(11) / 10;
    if (rand(8) === 0) request.filters = { categories: [categories[rand(categories.length)]], priceMax: 20 + rand(200) };
    if (rand(50) === 0) request.k = 0;  // refused: nothing may change
    try {
      const list = rec.recommend(request);
      if (list.length > request.k) throw new Error(`more than k items: ${list.length}`);
      if (i >= warmup) served++;
    } catch (e) {
      if (e.kind !== 'range' || request.k !== 0) throw e;
      if (i >= warmup) refused++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  checkpoints.push({ calls, ...mem() });
  session.dispose();
  const stats = rec.stats();
  rec.dispose();
  model.dispose();
  shop.dispose();

  // Part 2: whole lifecycles.
  const lifecycles = [];
  for (let c = 0; c < cycles; c++) {
    const ds = rs.generateShop({ users: 2000, items: 1000, interactions: 20_000, seed: 100 + c });
    const tr = rs.createTrainer(ds, { epochs: 1, patience: 0 });
    await tr.train();
    const m = tr.model;
    const r = rs.createRecommender({ model: m, dataset: ds });
    const s = r.createSession({ userId: 'user_1' });
    for (let i = 0; i < 200; i++) {
      if (i % 5 === 0) s.track({ itemId: `item_${1 + (i % 1000)}`, event: 'view', timestamp: 1_700_000_000 + i });
      r.recommend(i % 2 ? { session: s, k: 10 } : { userId: `user_${1 + i}`, k: 10 });
    }
    for (const h of [s, r, m, tr, ds]) h.dispose();
    lifecycles.push(mem());
  }
  return { seconds, served, refused, tracked, stats, checkpoints, lifecycles, warmup };
}, { calls, cycles });
await browser.close();
server.close();

const wall = (Date.now() - t0) / 1000;
const cp = result.checkpoints;
const heapGrowth = cp.at(-1).heapBytes - cp[0].heapBytes;
const liveRange = Math.max(...cp.map((c) => c.allocatedBytes)) - Math.min(...cp.map((c) => c.allocatedBytes));
const lc = result.lifecycles;
const cycleHeapGrowth = lc.at(-1).heapBytes - lc[2].heapBytes;  // after two warm-up cycles
const cycleLiveGrowth = lc.at(-1).allocatedBytes - lc[2].allocatedBytes;
const MB = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;
log(`after ${result.warmup.toLocaleString()} warm-up calls, ${result.served.toLocaleString()} recommend calls served and ${result.refused} refused (k = 0), ` +
  `${result.tracked.toLocaleString()} session events; ${(calls + result.warmup).toLocaleString()} calls in ${result.seconds.toFixed(1)} s (${(1000 * result.seconds / (calls + result.warmup)).toFixed(3)} ms per call); cache hits ${result.stats.cacheHits}`);
log(`  wasm heap after warm-up ${MB(cp[0].heapBytes)}, at the end ${MB(cp.at(-1).heapBytes)} (growth ${heapGrowth} bytes)`);
log(`  malloc live bytes across ${cp.length} checkpoints: ${MB(Math.min(...cp.map((c) => c.allocatedBytes)))} .. ${MB(Math.max(...cp.map((c) => c.allocatedBytes)))} (range ${liveRange} bytes)`);
log(`${cycles} create / train / serve / dispose cycles: heap ${lc.map((c) => (c.heapBytes / 2 ** 20).toFixed(0)).join(' ')} MiB; ` +
  `live bytes after each ${lc.map((c) => c.allocatedBytes).join(' ')}`);
log(`  after two warm-up cycles: heap growth ${cycleHeapGrowth} bytes, live-bytes growth ${cycleLiveGrowth} bytes`);
log(`console errors and warnings: ${problems.length}; wall ${wall.toFixed(1)} s`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'soak.json'), `${JSON.stringify({
  date: new Date().toISOString(), calls, cycles, ...result, heapGrowth, liveRange, cycleHeapGrowth, cycleLiveGrowth, problems, wall,
}, null, 1)}\n`);
const failures = [];
if (heapGrowth > 0) failures.push(`the wasm heap grew by ${heapGrowth} bytes after the warm-up`);
if (liveRange > 4 * 2 ** 20) failures.push(`malloc's live bytes moved by ${liveRange} bytes (more than 4 MiB)`);
if (cycleHeapGrowth > 0) failures.push(`the wasm heap grew by ${cycleHeapGrowth} bytes over the lifecycles`);
if (Math.abs(cycleLiveGrowth) > 2 ** 20) failures.push(`live bytes moved by ${cycleLiveGrowth} over the lifecycles`);
if (problems.length) failures.push(...problems.slice(0, 10));
if (failures.length) fail(`soak failed:\n  ${failures.join('\n  ')}`);
log('soak passed');
