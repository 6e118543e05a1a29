// npm run bench -- precision: what the f16 and int8 model files cost and save against f32, on the
// default shop and on Online Retail, for two training seeds (one with --quick):
//   - file size (raw and gzip -9) of model.safetensors;
//   - recall@10 and NDCG@10 (`recsys eval`, full protocol, training items excluded) on the
//     validation part (what the page's choice reads) and on the test part (reported, never
//     used to choose);
//   - loadModel() time in Chromium (the full engine; median of 7, after one warm-up), the demo
//     model of the Recommend page at each precision;
// and whether the Recommend page's precision (DEMO_PRECISION in scripts/lib.mjs) is still the
// smallest file whose validation NDCG@10 stays within 1 % of f32 on both datasets.
// Writes bench/results/precision.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEMO_PRECISION } from '../../scripts/lib.mjs';
import { fmt, machine, root, waitForIdle, withBrowserPage, writeResult } from '../lib.mjs';

const PRECISIONS = ['f32', 'f16', 'int8'];
const cli = join(root, 'build/recsys');
// The demo models' settings (scripts/lib.mjs ensureDemoData), with the default split.
const DATASETS = {
  synthetic: [],
  'online-retail': ['--config', JSON.stringify({ history_length: 100, history_decay: 1.0 })],
};

function recsys(args) {
  const r = spawnSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`recsys ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

function metrics(data, dir) {
  const out = {};
  for (const on of ['validation', 'test']) {
    const j = JSON.parse(recsys(['eval', '--data', data, '--model', dir, '--on', on, '--json']));
    out[on] = { recall: j.recall, ndcg: j.ndcg };
  }
  return out;
}

function sizes(dir) {
  const w = readFileSync(join(dir, 'model.safetensors'));
  return { weightsBytes: w.length, weightsGzipBytes: gzipSync(w, { level: 9 }).length, manifestBytes: statSync(join(dir, 'manifest.json')).size };
}

export async function run({ quick = false } = {}) {
  const tmp = mkdtempSync(join(tmpdir(), 'recsys-precision-'));
  const seeds = quick ? [42] : [42, 7];
  const runs = [];
  try {
    for (const [data, extra] of Object.entries(DATASETS)) {
      for (const seed of seeds) {
        await waitForIdle();
        const base = join(tmp, `${data}-${seed}`);
        const t0 = Date.now();
        recsys(['train', '--data', data, '--preset', 'default', '--epochs', '4', '--seed', String(seed), '--quiet', ...extra, '--out', `${base}-f32`]);
        console.log(`  ${data}, seed ${seed}: trained in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
        for (const p of PRECISIONS) {
          if (p !== 'f32') recsys(['convert', '--model', `${base}-f32`, '--precision', p, '--out', `${base}-${p}`]);
          const r = { data, seed, precision: p, ...sizes(`${base}-${p}`), ...metrics(data, `${base}-${p}`) };
          runs.push(r);
          console.log(`    ${p.padEnd(4)} ${fmt(r.weightsBytes / 1024)} KB (gzip ${fmt(r.weightsGzipBytes / 1024)} KB); validation recall@10 ${r.validation.recall.toFixed(4)} ` +
            `NDCG@10 ${r.validation.ndcg.toFixed(4)}; test recall@10 ${r.test.recall.toFixed(4)} NDCG@10 ${r.test.ndcg.toFixed(4)}`);
        }
      }
    }
    // loadModel() in Chromium: the page's demo model at each precision.
    const demo = join(root, 'data/demo/model');
    for (const p of PRECISIONS) recsys(['convert', '--model', demo, '--precision', p, '--out', join(tmp, `demo-${p}`)]);
    const load = await withBrowserPage(async (page, base, chromium) => {
      await page.goto(`${base}/bench/precision/page.html`);
      await page.waitForFunction(() => typeof window.timeLoad === 'function');
      const out = { chromium };
      for (const p of PRECISIONS) {
        out[p] = await page.evaluate(async (url) => window.timeLoad(url, 7), `/precision-files/demo-${p}/`);
        console.log(`  Chromium loadModel, demo model ${p}: fetch ${fmt(out[p].fetchMs)} ms, load median ${fmt(out[p].loadMs)} ms`);
      }
      return out;
    }, [['/precision-files/', tmp]]);
    for (const p of PRECISIONS) load[p].weightsBytes = statSync(join(tmp, `demo-${p}`, 'model.safetensors')).size;

    // Mean over seeds of each precision's relative NDCG@10 change against f32, per dataset.
    const delta = {};
    for (const data of Object.keys(DATASETS)) {
      delta[data] = {};
      for (const p of PRECISIONS) {
        const rel = (on) => seeds.map((s) => {
          const f = runs.find((r) => r.data === data && r.seed === s && r.precision === 'f32');
          const q = runs.find((r) => r.data === data && r.seed === s && r.precision === p);
          return q[on].ndcg / f[on].ndcg - 1;
        });
        const v = rel('validation'), t = rel('test');
        delta[data][p] = { validationNdcgChange: v.reduce((a, b) => a + b, 0) / v.length, validationSpread: [Math.min(...v), Math.max(...v)],
          testNdcgChange: t.reduce((a, b) => a + b, 0) / t.length, testSpread: [Math.min(...t), Math.max(...t)] };
      }
    }
    // The page's choice: the smallest file within 1 % of f32's validation NDCG@10 on both datasets.
    const ok = PRECISIONS.filter((p) => Object.keys(DATASETS).every((d) => delta[d][p].validationNdcgChange >= -0.01));
    const choice = ok.sort((a, b) => load[a].weightsBytes - load[b].weightsBytes)[0];
    const targets = { [`the Recommend page loads the smallest file within 1 % of f32's validation NDCG@10 (${choice}; the page: ${DEMO_PRECISION})`]: choice === DEMO_PRECISION };
    const out = { benchmark: 'precision', date: new Date().toISOString(), machine: machine(), seeds, runs, delta, load, choice, pagePrecision: DEMO_PRECISION, targets };
    const file = writeResult('precision', out);
    for (const [d, v] of Object.entries(delta)) {
      for (const p of ['f16', 'int8']) {
        console.log(`  ${d} ${p}: validation NDCG@10 ${(100 * v[p].validationNdcgChange).toFixed(2)} % against f32 (seeds ${v[p].validationSpread.map((x) => (100 * x).toFixed(2)).join(' … ')} %), ` +
          `test ${(100 * v[p].testNdcgChange).toFixed(2)} %`);
      }
    }
    for (const [k, v] of Object.entries(targets)) console.log(`  ${v ? 'met ' : 'MISS'}  ${k}`);
    console.log(`wrote ${file}`);
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
