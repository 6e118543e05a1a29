// Browser side of `npm run bench -- retrieval`: top-10 over N clustered unit vectors of d floats,
// single queries and a 128-query batch, with the recsys-wasm exact / int8 / IVF indexes and with
// TensorFlow.js (wasm backend: tf.matMul + tf.topk, 1 and 2 threads, two item layouts) in the same
// Chromium.
import { createRecsys } from '/dist/index.mjs';
import { mulberry32 } from '../common/random.mjs';

const log = (s) => { document.getElementById('log').textContent += `\n${s}`; console.log(s); };

// The recipe of `recsys bench-index`: 1,000 fixed centres ~ N(0, I), point = centre + 0.7 · N(0, I),
// normalised; items and queries share the centres.
function clustered(n, d, seed) {
  const normalOf = (rand) => () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centreNormal = normalOf(mulberry32(12345));
  const centres = new Float32Array(1000 * d);
  for (let i = 0; i < centres.length; i++) centres[i] = centreNormal();
  const rand = mulberry32(seed);
  const normal = normalOf(rand);
  const out = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    const c = Math.floor(rand() * 1000) * d;
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const v = centres[c + j] + 0.7 * normal();
      out[r * d + j] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let j = 0; j < d; j++) out[r * d + j] /= norm;
  }
  return out;
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const p95 = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length * 0.95)]; };

function time(fn, reps) {
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn(i);
    t.push(performance.now() - t0);
  }
  return t;
}

// Part 1: the recsys-wasm indexes. Returns the timings and the ids each index found (the exact
// index's are the ground truth of every recall, computed on the Node side).
window.runRecsys = async ({ n, d, k = 10, queries = 50, batch = 128, nprobes = [0] }) => {
  const rs = await createRecsys();
  // The engine's own int8 kernel too, where the default one is the relaxed-SIMD kernel.
  const own = rs.kernels.int8 === 'relaxed-simd' ? await createRecsys({ relaxedSimd: false }) : null;
  const items = clustered(n, d, 1);
  const qs = clustered(Math.max(queries, batch), d, 2);
  const one = (i) => qs.subarray((i % queries) * d, (i % queries + 1) * d);
  const results = [];
  const runs = [['exact', {}, rs], ['exact', { prune: false }, rs], ['int8', {}, rs], ...(own ? [['int8', {}, own]] : []), ...nprobes.map((p) => ['ivf', p ? { nprobe: p } : {}, rs])];
  for (const [kind, opts, engine] of runs) {
    const index = engine.createIndex({ kind, ...opts });
    const kernel = kind === 'int8' ? engine.kernels.int8 : undefined;
    const t0 = performance.now();
    index.build(items, n, d);
    const buildMs = performance.now() - t0;
    time((i) => index.search(one(i), { k }), 10);  // warm-up
    const single = time((i) => index.search(one(i), { k }), queries);
    const batchT = time(() => index.search(qs.subarray(0, batch * d), { m: batch, k }), 3);
    const ids = new Int32Array(queries * k);
    for (let q = 0; q < queries; q++) ids.set(index.search(one(q), { k }).ids, q * k);
    const batchIds = index.search(qs.subarray(0, batch * d), { m: batch, k }).ids;
    results.push({ engine: 'recsys', kind, kernel, options: opts, buildMs, singleP50: median(single), singleP95: p95(single),
      batch128: median(batchT), ids: Array.from(ids), batchIds: Array.from(batchIds), memoryBytes: index.memoryBytes });
    log(`${kind}${kernel ? ` (${kernel})` : ''} ${JSON.stringify(opts)} n=${n} d=${d}: build ${buildMs.toFixed(0)} ms, single ${median(single).toFixed(2)} ms, batch ${median(batchT).toFixed(1)} ms`);
    index.dispose();
  }
  return { results, crossOriginIsolated: globalThis.crossOriginIsolated === true };
};

// TF.js's wasm backend on `threads` threads. TF.js sizes its worker pool to
// min(4, max(1, hardwareConcurrency / 2)): one on this 2-core machine, which silently caps it at
// one thread. For a 2-thread run the page reports twice the threads asked for, so that the pool
// holds them (callers confirm the count with getThreadsCount()).
async function startTfjs(tf, threads) {
  tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  if (threads > 1) {
    const cores = navigator.hardwareConcurrency;
    Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => Math.max(cores, 2 * threads), configurable: true });
  }
  tf.wasm.setThreadsCount(threads);
  await tf.setBackend('wasm');
  await tf.ready();
}
// Part 2: TensorFlow.js on its wasm backend (XNNPACK), matMul + topk, at `threads` threads (set
// before the backend starts, hence one page load per thread count; more than one thread needs a
// cross-origin-isolated page, which the bench server gives). Two layouts of the items:
//   'pre-transposed': items stored once as [d, n], tf.matMul(q, itemsT): what a TF.js developer
//                     ships (the strongest peer);
//   'as [n, d]':      tf.matMul(q, items, false, true), which transposes on every call (the
//                     variant earlier benchmarks used; kept, labelled).
window.runTfjs = async ({ n, d, k = 10, queries = 50, batch = 128, threads = 1 }) => {
  const items = clustered(n, d, 1);
  const qs = clustered(Math.max(queries, batch), d, 2);
  const one = (i) => qs.subarray((i % queries) * d, (i % queries + 1) * d);
  const tf = globalThis.tf;
  await startTfjs(tf, threads);
  const results = [];
  for (const layout of ['pre-transposed', 'as [n, d]']) {
    const t0 = performance.now();
    const stored = layout === 'pre-transposed'
      ? tf.tidy(() => tf.tensor2d(items, [n, d]).transpose())  // [d, n], materialised once
      : tf.tensor2d(items, [n, d]);
    stored.dataSync();  // force the transpose (and upload) into the build time
    const buildMs = performance.now() - t0;
    const search = (q, m) => tf.tidy(() => {
      const query = tf.tensor2d(q, [m, d]);
      const scores = layout === 'pre-transposed' ? tf.matMul(query, stored) : tf.matMul(query, stored, false, true);
      return tf.topk(scores, k).indices.dataSync();
    });
    time((i) => search(one(i), 1), 10);
    const single = time((i) => search(one(i), 1), queries);
    // The [n, d] layout's batch takes ~20 s at 1M items: timed once (the pre-transposed, median of 3).
    const batchT = time(() => search(qs.subarray(0, batch * d), batch), layout === 'pre-transposed' ? 3 : 1);
    const ids = new Int32Array(queries * k);
    for (let q = 0; q < queries; q++) ids.set(search(one(q), 1), q * k);
    const batchIds = search(qs.subarray(0, batch * d), batch);
    results.push({ engine: 'tfjs-wasm', kind: `matMul+topk, items ${layout}`, layout, threads: tf.wasm.getThreadsCount(),
      buildMs, singleP50: median(single), singleP95: p95(single), batch128: median(batchT),
      ids: Array.from(ids), batchIds: Array.from(batchIds), memoryBytes: n * d * 4 });
    log(`tfjs ${layout} ${threads} thread(s) n=${n} d=${d}: single ${median(single).toFixed(2)} ms, batch ${median(batchT).toFixed(1)} ms`);
    stored.dispose();
  }
  return { results, crossOriginIsolated: globalThis.crossOriginIsolated === true, version: tf.version.tfjs };
};
// Part 3, paired: TF.js on its wasm backend (items pre-transposed) beside the engine's exact and
// int8 indexes in one page, both on `threads` threads (2: TF.js's pthread backend and the engine's
// pthread build, which splits a single query's items across its threads; the page must be
// cross-origin isolated). Rounds alternate between the three (the order rotating);
// in a round each runs `block` queries back to back (as a service answers a stream of queries;
// the first, after another engine's scan went through the caches, is not counted), so that this
// shared machine's drift moves all three alike. The target ratios come from here: the median
// over rounds of each round's ratio of medians.
window.runPaired = async ({ n, d, k = 10, rounds = 12, block = 6, threads = 1 }) => {
  const items = clustered(n, d, 1);
  const qs = clustered(rounds * block, d, 2);
  const tf = globalThis.tf;
  await startTfjs(tf, threads);
  const stored = tf.tidy(() => tf.tensor2d(items, [n, d]).transpose());
  stored.dataSync();
  const rs = await createRecsys({ threads });
  const exact = rs.createIndex({ kind: 'exact' });
  exact.build(items, n, d);
  const floats = rs.createIndex({ kind: 'exact', prune: false });
  floats.build(items, n, d);
  const int8 = rs.createIndex({ kind: 'int8' });
  int8.build(items, n, d);
  const run = {
    tfjs: (q) => tf.tidy(() => tf.topk(tf.matMul(tf.tensor2d(q, [1, d]), stored), k).indices.dataSync()),
    exact: (q) => exact.search(q, { k }),
    exactFloats: (q) => floats.search(q, { k }),
    int8: (q) => int8.search(q, { k }),
  };
  const names = Object.keys(run);
  const q = (i) => qs.subarray((i % (rounds * block)) * d, (i % (rounds * block) + 1) * d);
  for (let i = 0; i < 10; i++) for (const name of names) run[name](q(i));
  const ms = Object.fromEntries(names.map((x) => [x, []]));  // per round: the block's median
  const all = Object.fromEntries(names.map((x) => [x, []]));
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(r + j) % names.length];
      const t = [];
      for (let b = 0; b < block; b++) {
        const t0 = performance.now();
        run[name](q(r * block + b));
        t.push(performance.now() - t0);
      }
      ms[name].push(median(t.slice(1)));
      all[name].push(...t.slice(1));
    }
  }
  const ratio = (a) => median(ms[a].map((x, r) => x / ms.tfjs[r]));
  const out = { n, d, rounds, block, kernel: rs.kernels.int8, tfjsThreads: tf.wasm.getThreadsCount(), threads: rs.threads, version: tf.version.tfjs,
    singleP50: Object.fromEntries(names.map((x) => [x, median(all[x])])), exactVsTfjs: ratio('exact'), exactFloatsVsTfjs: ratio('exactFloats'), int8VsTfjs: ratio('int8') };
  log(`paired n=${n} d=${d} threads ${threads}: ${JSON.stringify(out.singleP50)}, exact/TF.js ${out.exactVsTfjs.toFixed(2)}, int8/TF.js ${out.int8VsTfjs.toFixed(2)}`);
  exact.dispose();
  floats.dispose();
  int8.dispose();
  stored.dispose();
  return out;
};
window.benchReady = true;
log('ready');
