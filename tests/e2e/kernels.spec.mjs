// The relaxed-SIMD int8 kernel (wasm/relaxed-i8.mjs) in Chromium, which runs relaxed SIMD: it is
// the one in use, and the int8 index gives the same ids and the same score bits as with the
// engine's own SIMD kernel, for sizes that leave rows to the own kernel, batches and filters; the
// pthread engine (whose Workers keep the own kernel) agrees too.
import { test, expect } from '@playwright/test';

// In the page, for both tests: the three engines (the serving engine with the relaxed-SIMD kernel,
// with its own kernel, and the pthread engine), a seeded generator, and a list's ids and score bits.
test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    window.kernelEngines = async () => {
      const { createRecsys } = await import('/dist/index.mjs');
      return {
        relaxed: await createRecsys({ engine: 'serve' }),
        own: await createRecsys({ engine: 'serve', relaxedSimd: false }),
        threads: await createRecsys({ threads: 'auto' }),
      };
    };
    window.seeded = (seed) => () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    window.listBits = (x) => ({ ids: Array.from(x.ids), scores: Array.from(new Uint32Array(x.scores.buffer.slice(x.scores.byteOffset, x.scores.byteOffset + x.scores.byteLength))) });
  });
});

test('the relaxed-SIMD int8 kernel gives the own kernel\'s results, bit for bit', async ({ page }) => {
  await page.goto('/index.html');
  const r = await page.evaluate(async () => {
    const engines = await window.kernelEngines();
    const rnd = window.seeded(7);
    const cases = [];
    for (const [n, d] of [[4096, 64], [20003, 64], [1001, 128], [777, 48], [35, 16], [301, 256]]) {
      const items = new Float32Array(n * d).map(rnd);
      const queries = new Float32Array(40 * d).map(rnd);
      const exclude = Array.from({ length: Math.floor(n / 3) }, (_, i) => 3 * i);
      const out = {};
      for (const [name, rs] of Object.entries(engines)) {
        const index = rs.createIndex({ kind: 'int8', rerank: 1 });  // rerank 1: the int8 scores themselves
        index.build(items, n, d);
        const single = index.search(queries.subarray(0, d), { k: 25 });
        const batch = index.search(queries, { m: 40, k: 25 });
        const filtered = index.search(queries.subarray(0, 2 * d), { m: 2, k: 25, exclude });
        out[name] = [single, batch, filtered].map(window.listBits);
        index.dispose();
      }
      cases.push({ n, d, out });
    }
    return { kernels: Object.fromEntries(Object.entries(engines).map(([k, rs]) => [k, rs.kernels.int8])), threads: engines.threads.threads, cases };
  });
  expect(r.kernels.relaxed).toBe('relaxed-simd');
  expect(r.kernels.own).toBe('simd128');
  for (const c of r.cases) {
    expect(c.out.relaxed, `n=${c.n} d=${c.d}`).toEqual(c.out.own);
    expect(c.out.threads, `n=${c.n} d=${c.d}, pthread engine on ${r.threads} threads`).toEqual(c.out.own);
  }
});

// The exact index's bound (prune) runs its int8 scan through the same kernels: with either kernel
// and on the pthread engine (its single queries split by items), the lists are those of the full
// float scan, ids and score bits.
test('the exact index\'s int8 bound gives the full scan\'s lists in Chromium, bit for bit', async ({ page }) => {
  await page.goto('/index.html');
  const r = await page.evaluate(async () => {
    const engines = await window.kernelEngines();
    const rnd = window.seeded(11);
    const bits = window.listBits;
    const cases = [];
    for (const [n, d] of [[40000, 64], [5003, 48], [3001, 128]]) {
      // Rows around 50 centres (the bound keeps few of them), a tenth of them copies (ties).
      const centres = new Float32Array(50 * d).map(rnd);
      const items = new Float32Array(n * d);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < d; j++) items[i * d + j] = i % 10 === 9 ? items[(i - 1) * d + j] : centres[(i % 50) * d + j] + 0.3 * rnd();
      const queries = new Float32Array(12 * d).map(rnd);
      const exclude = Array.from({ length: Math.floor(n / 4) }, (_, i) => 4 * i + 1);
      const out = {};
      for (const [name, rs] of Object.entries(engines))
        for (const prune of [true, false]) {
          const index = rs.createIndex({ kind: 'exact', prune });
          index.build(items, n, d);
          out[`${name} ${prune}`] = [index.search(queries.subarray(0, d), { k: 10 }), index.search(queries, { m: 12, k: 30 }),
            index.search(queries.subarray(d, 3 * d), { m: 2, k: 7, exclude })].map(bits);
          index.dispose();
        }
      cases.push({ n, d, out });
    }
    return cases;
  });
  for (const c of r) {
    const want = c.out['own false'];
    for (const [name, got] of Object.entries(c.out)) expect(got, `n=${c.n} d=${c.d}: ${name}`).toEqual(want);
  }
});
