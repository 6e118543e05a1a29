// VectorIndex through the JS API: exact search equals a brute force written here, int8 and IVF
// find the same neighbours on clustered data, exclusions, and bad arguments that change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecsys } from 'recsys-wasm';

const rs = await createRecsys();

// Clustered vectors from a small LCG (no Math.random: the test is repeatable).
function vectors(n, d, seed) {
  let s = seed;
  const rand = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 - 0.5; };
  const centres = Array.from({ length: 16 }, () => Array.from({ length: d }, rand));
  const v = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) v[i * d + j] = centres[i % 16][j] + 0.2 * rand();
  return v;
}

function bruteForce(v, n, d, q, k, exclude = new Set()) {
  const scored = [];
  for (let i = 0; i < n; i++) {
    if (exclude.has(i)) continue;
    let s = 0;
    for (let j = 0; j < d; j++) s += Math.fround(v[i * d + j] * q[j]);
    scored.push([i, s]);
  }
  scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  return scored.slice(0, k);
}

test('exact search equals a brute force, single and batched, with exclusions', () => {
  const n = 3000, d = 24, k = 10;
  const v = vectors(n, d, 1), queries = vectors(5, d, 2);
  const index = rs.createIndex({ kind: 'exact' }).build(v, n, d);
  assert.deepEqual([index.kind, index.size, index.dim], ['exact', n, d]);
  const batch = index.search(queries, { m: 5, k });
  assert.ok(batch.ids instanceof Int32Array && batch.scores instanceof Float32Array);
  for (let q = 0; q < 5; q++) {
    const want = bruteForce(v, n, d, queries.subarray(q * d, (q + 1) * d), k);
    assert.deepEqual([...batch.ids.subarray(q * k, (q + 1) * k)], want.map(([i]) => i));
    want.forEach(([, s], j) => assert.ok(Math.abs(batch.scores[q * k + j] - s) < 1e-4));
  }
  const q0 = queries.subarray(0, d);
  const excluded = [...batch.ids.subarray(0, 3)];
  const single = index.search(q0, { k, exclude: excluded });
  assert.deepEqual([...single.ids], bruteForce(v, n, d, q0, k, new Set(excluded)).map(([i]) => i));
  // Fewer items than k: the rest is -1.
  const small = rs.createIndex().build(v.subarray(0, 4 * d), 4, d);
  assert.deepEqual([...small.search(q0, { k: 6 }).ids].slice(4), [-1, -1]);
  [index, small].forEach((x) => x.dispose());
});

test('the exact index\'s int8 bound (prune) gives the floats\' lists, ids and score bits, and memory for its codes', () => {
  const n = 40000, d = 32, k = 10, m = 8;
  const v = vectors(n, d, 7), queries = vectors(m, d, 8);
  const lists = {};
  const memory = {};
  for (const prune of [true, false, undefined]) {
    const index = rs.createIndex(prune === undefined ? { kind: 'exact' } : { kind: 'exact', prune }).build(v, n, d);
    const batch = index.search(queries, { m, k }), single = index.search(queries.subarray(0, d), { k, exclude: [1, 2, 3] });
    lists[prune] = [batch, single].map((x) => [[...x.ids], [...new Uint32Array(x.scores.buffer, x.scores.byteOffset, x.scores.length)]]);
    memory[prune] = index.memoryBytes;
    index.dispose();
  }
  assert.deepEqual(lists[true], lists[false]);
  assert.deepEqual(lists[undefined], lists[false]);
  assert.ok(memory[true] >= memory[false] + n * d, `codes kept: ${memory[true]} against ${memory[false]}`);
  assert.throws(() => rs.createIndex({ kind: 'exact', prune: 'yes' }), { name: 'TypeError', message: 'index options: \'prune\' must be true or false, got "yes"' });
});

test('int8 and IVF find the exact neighbours on clustered vectors', () => {
  const n = 20000, d = 32, k = 10, m = 20;
  const v = vectors(n, d, 3), queries = vectors(m, d, 4);
  const exact = rs.createIndex({ kind: 'exact' }).build(v, n, d).search(queries, { m, k });
  for (const kind of ['int8', 'ivf']) {
    const index = rs.createIndex({ kind }).build(v, n, d);
    const got = index.search(queries, { m, k });
    let hits = 0;
    for (let q = 0; q < m; q++) {
      const truth = new Set(exact.ids.subarray(q * k, (q + 1) * k));
      for (const id of got.ids.subarray(q * k, (q + 1) * k)) hits += truth.has(id);
    }
    assert.ok(hits / (m * k) >= 0.95, `${kind} recall@10 ${hits / (m * k)}`);
    index.dispose();
  }
});

test('bad arguments are TypeError / RangeError / Error naming them, and the index keeps working', () => {
  const n = 100, d = 8;
  const v = vectors(n, d, 5), q = vectors(1, d, 6);
  assert.throws(() => rs.createIndex({ kind: 'hnsw' }), { name: 'RangeError', message: /'kind' must be exact, int8 or ivf, got 'hnsw'/ });
  assert.throws(() => rs.createIndex({ nprob: 3 }), { name: 'TypeError', message: "index options: unknown key 'nprob'" });
  assert.throws(() => rs.createIndex({ rerank: 0 }), { name: 'RangeError', message: 'index options: \'rerank\' must be an integer >= 1, got 0' });
  const index = rs.createIndex({ kind: 'exact' });
  assert.throws(() => index.search(q), { name: 'Error', message: 'exact index: search before build' });
  index.build(v, n, d);
  const before = index.search(q, { k: 5 });
  assert.throws(() => index.build([1, 2], 1, 2), { name: 'TypeError', message: /vectors must be a Float32Array/ });
  assert.throws(() => index.build(v, n, d + 1), { name: 'RangeError', message: `vectors has ${n * d} floats, n * d = ${n * (d + 1)}` });
  const bad = v.slice();
  bad[7] = NaN;
  assert.throws(() => index.build(bad, n, d), { name: 'RangeError', message: 'exact index: the vectors contain NaN or infinity' });
  assert.throws(() => index.search(q, { k: 0 }), { name: 'RangeError', message: 'exact index: k must be >= 1, got 0' });
  const nanQuery = q.slice();
  nanQuery[2] = Infinity;
  assert.throws(() => index.search(nanQuery, { k: 5 }), { name: 'RangeError', message: 'exact index: query 0 has inf at dimension 2 (every value must be finite)' });
  assert.throws(() => index.search(q.subarray(1), { k: 5 }), { name: 'RangeError', message: `queries has ${d - 1} floats, m * d = ${d}` });
  assert.throws(() => index.search(q, { exclude: 'item_1' }), { name: 'TypeError', message: /exclude must be an array of item indices/ });
  assert.throws(() => index.search(q, { exclude: [3, n] }), { name: 'RangeError', message: `filter: item index ${n} out of range [0, ${n})` });
  assert.throws(() => index.search(q, { exclude: [1.5] }), { name: 'RangeError', message: 'exclude[0] must be an integer, got 1.5' });
  assert.deepEqual(index.search(q, { k: 5 }), before);
  assert.equal(index.size, n);
  index.dispose();
});
