// npm run bench -- retrieval: top-10 search over N ∈ {5k, 100k, 1M} clustered unit vectors of
// d ∈ {64, 128} floats — single queries (median and p95 over 50) and a 128-query batch — for the
// exact, int8 and IVF indexes, natively (`recsys bench-index`) and in Chromium, against
// TensorFlow.js matMul + topk on its wasm backend (one thread) in the same page. IVF is also run at
// larger nprobe to find where its recall reaches 0.95. Writes bench/results/retrieval.json.
import { join } from 'node:path';
import { fmt, machine, root, runJson, waitForIdle, withBrowserPage, writeResult } from '../lib.mjs';

const SIZES = [[5000, 64], [5000, 128], [100000, 64], [100000, 128], [1000000, 64], [1000000, 128]];

export async function run({ quick = false } = {}) {
  const sizes = quick ? SIZES.slice(0, 4) : SIZES;
  const native = [];
  for (const [n, d] of sizes) {
    await waitForIdle();
    console.log(`native n=${n} d=${d} …`);
    native.push(runJson(join(root, 'build', 'recsys'), ['bench-index', '--n', String(n), '--d', String(d), '--queries', '50', '--json']));
  }
  const browser = [];
  let chromium = null;
  await withBrowserPage(async (page, base, version) => {
    chromium = version;
    for (const [n, d] of sizes) {
      await waitForIdle();
      console.log(`Chromium ${version}: n=${n} d=${d} …`);
      await page.goto(`${base}/bench/retrieval/page.html`);
      await page.waitForFunction(() => window.benchReady === true);
      const nprobes = n >= 100000 ? [0, Math.round(Math.sqrt(n) / 4), Math.round(Math.sqrt(n) / 2)] : [0];
      browser.push({ n, d, results: await page.evaluate((o) => window.runBench(o), { n, d, nprobes }) });
    }
  });
  // Ratios against TF.js in the same page.
  const rows = [];
  for (const b of browser) {
    const tf = b.results.find((r) => r.engine === 'tfjs-wasm');
    for (const r of b.results.filter((x) => x.engine === 'recsys')) {
      rows.push({ n: b.n, d: b.d, kind: r.kind, nprobe: r.options?.nprobe ?? null, buildMs: r.buildMs, singleMs: r.singleP50,
        singleVsTfjs: r.singleP50 / tf.singleP50, batchMs: r.batch128, batchVsTfjs: r.batch128 / tf.batch128, recall: r.recall });
    }
    rows.push({ n: b.n, d: b.d, kind: 'tfjs', buildMs: tf.buildMs, singleMs: tf.singleP50, batchMs: tf.batch128, recall: tf.recall });
  }
  const at = (n, d, kind) => rows.filter((r) => r.n === n && r.d === d && r.kind === kind);
  const exact1m = at(1000000, 64, 'exact')[0];
  const int81m = at(1000000, 64, 'int8')[0];
  const nativeIvf100k = native.find((x) => x.n === 100000 && x.d === 128)?.results.find((r) => r.kind === 'ivf');
  const browserIvf100k = at(100000, 128, 'ivf');
  const ivfOk = browserIvf100k.filter((r) => r.recall >= 0.95).sort((a, b) => a.singleMs - b.singleMs)[0];
  const exact100k = at(100000, 128, 'exact')[0];
  const targets = {
    'exact f32 no slower than TF.js (single, every size)': rows.filter((r) => r.kind === 'exact').every((r) => r.singleVsTfjs <= 1),
    'int8 <= 0.3x TF.js time at 1M x 64 (single)': int81m ? int81m.singleVsTfjs <= 0.3 : null,
    'IVF build on 100k x 128 <= 5 s (Chromium)': browserIvf100k.length ? browserIvf100k[0].buildMs <= 5000 : null,
    'IVF >= 5x faster than exact at recall >= 0.95 (100k x 128, Chromium)': ivfOk && exact100k ? exact100k.singleMs / ivfOk.singleMs >= 5 : false,
  };
  const out = { benchmark: 'retrieval', date: new Date().toISOString(), machine: machine(), chromium, native, browser, rows, targets,
    notes: { exact1mVsTfjs: exact1m?.singleVsTfjs, int81mVsTfjs: int81m?.singleVsTfjs, nativeIvf100kBuildMs: nativeIvf100k?.build_ms,
      ivfAtRecall95: ivfOk ?? null } };
  const file = writeResult('retrieval', out);
  console.log(`\n${'n'.padStart(8)} ${'d'.padStart(4)} ${'index'.padEnd(14)} ${'build ms'.padStart(9)} ${'single ms'.padStart(10)} ${'vs TF.js'.padStart(9)} ${'batch ms'.padStart(9)} ${'vs TF.js'.padStart(9)} ${'recall'.padStart(7)}`);
  for (const r of rows) {
    const kind = r.kind === 'ivf' ? `ivf${r.nprobe ? ` np=${r.nprobe}` : ''}` : r.kind;
    console.log(`${String(r.n).padStart(8)} ${String(r.d).padStart(4)} ${kind.padEnd(14)} ${fmt(r.buildMs).padStart(9)} ${fmt(r.singleMs, 2).padStart(10)} ${(r.singleVsTfjs ? `${fmt(r.singleVsTfjs, 2)}x` : '').padStart(9)} ${fmt(r.batchMs, 1).padStart(9)} ${(r.batchVsTfjs ? `${fmt(r.batchVsTfjs, 2)}x` : '').padStart(9)} ${fmt(r.recall, 3).padStart(7)}`);
  }
  console.log('\nnative (build/recsys bench-index):');
  for (const x of native) for (const r of x.results) console.log(`  n=${x.n} d=${x.d} ${r.kind.padEnd(6)} build ${fmt(r.build_ms)} ms, single ${fmt(r.single_p50_ms, 3)} ms, batch ${fmt(r.batch128_ms, 1)} ms, recall ${fmt(r.recall_at_k, 3)}`);
  for (const [k, v] of Object.entries(targets)) console.log(`  ${v === null ? 'n/a ' : v ? 'met ' : 'MISS'}  ${k}`);
  console.log(`wrote ${file}`);
  return out;
}
