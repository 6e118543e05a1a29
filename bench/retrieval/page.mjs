// Browser side of `npm run bench -- retrieval`: top-10 over N clustered unit vectors of d floats,
// single queries and a 128-query batch, with the recsys-wasm exact / int8 / IVF indexes and with
// TensorFlow.js (wasm backend, 1 thread: tf.matMul + tf.topk) in the same page.
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

function recall(truth, got, m, k) {
  let hits = 0;
  for (let q = 0; q < m; q++) {
    const set = new Set(truth.slice(q * k, q * k + k));
    for (let j = 0; j < k; j++) hits += set.has(got[q * k + j]) ? 1 : 0;
  }
  return hits / (m * k);
}

window.runBench = async ({ n, d, k = 10, queries = 50, batch = 128, nprobes = [0] }) => {
  const rs = await createRecsys();
  const items = clustered(n, d, 1);
  const qs = clustered(Math.max(queries, batch), d, 2);
  const one = (i) => qs.subarray((i % queries) * d, (i % queries + 1) * d);
  const results = [];
  let truth = null, truthBatch = null;
  for (const [kind, opts] of [['exact', {}], ['int8', {}], ...nprobes.map((p) => ['ivf', p ? { nprobe: p } : {}])]) {
    const index = rs.createIndex({ kind, ...opts });
    const t0 = performance.now();
    index.build(items, n, d);
    const buildMs = performance.now() - t0;
    time((i) => index.search(one(i), { k }), 10);  // warm-up
    const single = time((i) => index.search(one(i), { k }), queries);
    const batchT = time(() => index.search(qs.subarray(0, batch * d), { m: batch, k }), 3);
    const ids = new Int32Array(queries * k);
    for (let q = 0; q < queries; q++) ids.set(index.search(one(q), { k }).ids, q * k);
    if (kind === 'exact') {
      truth = ids;
      truthBatch = index.search(qs.subarray(0, batch * d), { m: batch, k }).ids;
    }
    results.push({ engine: 'recsys', kind, options: opts, buildMs, singleP50: median(single), singleP95: p95(single),
      batch128: median(batchT), recall: recall(truth, ids, queries, k), memoryBytes: index.memoryBytes });
    log(`${kind} ${JSON.stringify(opts)} n=${n} d=${d}: build ${buildMs.toFixed(0)} ms, single ${median(single).toFixed(2)} ms, batch ${median(batchT).toFixed(1)} ms`);
    index.dispose();
  }
  // TensorFlow.js, wasm backend, one thread: matMul + topk.
  const tf = globalThis.tf;
  tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  tf.wasm.setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const t0 = performance.now();
  const itemsT = tf.tensor2d(items, [n, d]);
  const uploadMs = performance.now() - t0;
  const search = (q, m) => tf.tidy(() => {
    const scores = tf.matMul(tf.tensor2d(q, [m, d]), itemsT, false, true);
    const { indices } = tf.topk(scores, k);
    return indices.dataSync();
  });
  time((i) => search(one(i), 1), 10);
  const single = time((i) => search(one(i), 1), queries);
  const batchT = time(() => search(qs.subarray(0, batch * d), batch), 3);
  const ids = new Int32Array(queries * k);
  for (let q = 0; q < queries; q++) ids.set(search(one(q), 1), q * k);
  results.push({ engine: 'tfjs-wasm', kind: 'matMul+topk', buildMs: uploadMs, singleP50: median(single), singleP95: p95(single),
    batch128: median(batchT), recall: recall(truth, ids, queries, k), batchRecall: recall(truthBatch, search(qs.subarray(0, batch * d), batch), batch, k),
    memoryBytes: n * d * 4 });
  log(`tfjs n=${n} d=${d}: single ${median(single).toFixed(2)} ms, batch ${median(batchT).toFixed(1)} ms`);
  itemsT.dispose();
  return results;
};
window.benchReady = true;
log('ready');
