// The README's one benchmark table, from bench/results/*.json: every benchmark's figure, the peer
// measured in the same run, the ratio, the target and the command. `npm run bench` rewrites
// bench/results/TABLE.md after its benchmarks; `node bench/table.mjs` prints it from the last
// results. A benchmark that has not run shows as such; nothing here is typed in by hand.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../scripts/lib.mjs';

const dir = join(root, 'bench', 'results');
const load = (name) => {
  const f = join(dir, `${name}.json`);
  return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : null;
};
const n0 = (x) => Math.round(x).toLocaleString('en-US');
const f = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '—' : Number(x).toFixed(d));
const day = (r) => r?.date?.slice(0, 10) ?? '';
const mark = (v) => (v === null || v === undefined ? 'n/a' : v ? 'met' : '**missed**');

export function rows() {
  const out = [];
  const add = (bench, what, ours, peer, ratio, target, met, command, date) => out.push({ bench, what, ours, peer, ratio, target, met: mark(met), command, date });

  const train = load('train');
  if (train) {
    const r = train.results;
    const cmd = '`npm run bench -- train`';
    add('train', 'examples/s, Chromium (wasm, 1 thread)', n0(r.browser.examplesPerSecond), `${r.tfjs_wasm.name}: ${n0(r.tfjs_wasm.examplesPerSecond)}`,
      `${f(train.ratios.browserVsTfjsWasm)}×`, '≥ 5×', train.ratios.browserVsTfjsWasm >= 5, cmd, day(train));
    if (r.browser_mt) {
      add('train', `examples/s, Chromium (pthread build, ${r.browser_mt.threads} threads, 2 cores)`, n0(r.browser_mt.examplesPerSecond), `recsys single-thread engine, same page: ${n0(r.browser.examplesPerSecond)}`,
        `${f(train.ratios.browserThreadsVsOne)}×${train.ratios.browserThreadsRounds ? ` (median of ${train.ratios.browserThreadsRounds.length} alternating rounds' ratios)` : ''}`, '≥ 1.6×', train.ratios.browserThreadsVsOne >= 1.6, cmd, day(train));
    }
    add('train', 'final loss (epoch 3), Chromium', f(r.browser.finalLoss, 3), `TF.js wasm: ${f(r.tfjs_wasm.finalLoss, 3)}`,
      `${train.ratios.lossBrowserMinusTfjsWasm >= 0 ? '+' : ''}${f(train.ratios.lossBrowserMinusTfjsWasm, 3)}`, '≤ +0.01', train.ratios.lossBrowserMinusTfjsWasm <= 0.01, cmd, day(train));
    const pt1 = r.pytorch_1t ?? r.pytorch;
    if (pt1) {
      add('train', 'examples/s, native (1 thread)', n0(r.native.examplesPerSecond), `${pt1.name}${r.pytorch_1t ? ', idiomatic loop' : ', the earlier loop'}: ${n0(pt1.examplesPerSecond)}`,
        `${f(r.native.examplesPerSecond / pt1.examplesPerSecond)}×`, '≥ 2×', r.native.examplesPerSecond / pt1.examplesPerSecond >= 2, cmd, day(train));
    }
    if (r.pytorch_2t) {
      add('train', 'examples/s, native (1 thread)', n0(r.native.examplesPerSecond), `${r.pytorch_2t.name}: ${n0(r.pytorch_2t.examplesPerSecond)}`,
        `${f(r.native.examplesPerSecond / r.pytorch_2t.examplesPerSecond)}×`, '—', null, cmd, day(train));
    }
    if (!pt1) add('train', 'PyTorch peer', '—', (train.skipped ?? []).join('; ') || 'skipped', '—', '≥ 2×', null, cmd, day(train));
  }

  const ret = load('retrieval');
  if (ret?.rows?.[0]?.singleVsTfjsBest !== undefined) {
    const cmd = '`npm run bench -- retrieval`';
    const row = (n, d, kind) => ret.rows.find((x) => x.n === n && x.d === d && x.kind === kind);
    const tf1 = row(1000000, 64, 'tfjs pre-T 1t');
    const tf2 = row(1000000, 64, 'tfjs pre-T 2t');
    const peer = (m) => `TF.js wasm, items pre-transposed, 1 thread: ${f(tf1?.[m], m === 'singleMs' ? 1 : 0)} ms (2 threads: ${f(tf2?.[m], m === 'singleMs' ? 1 : 0)})`;
    const ex = row(1000000, 64, 'exact');
    const i8 = row(1000000, 64, 'int8');
    // Single queries: from the paired run (TF.js and the engine alternating in one page) when there is one.
    const pr = ret.paired;
    const pairedPeer = pr ? `TF.js wasm, pre-transposed, 1 thread, in the same page, ${pr.rounds} alternating rounds${pr.block ? ` of ${pr.block} queries` : ''}: ${f(pr.singleP50.tfjs, 1)} ms` : null;
    const exf = row(1000000, 64, 'exact floats');
    if (ex && tf1 && pr) {
      add('retrieval', 'exact top-10, 1 query, 1M × 64, Chromium (ms; the default exact index: its int8 bound, the full scan\'s list)', f(pr.singleP50.exact, 1), pairedPeer, `${f(pr.exactVsTfjs)}× (median of the rounds' ratios)`, '≤ 0.8×', pr.exactVsTfjs <= 0.8, cmd, day(ret));
      if (pr.exactFloatsVsTfjs !== undefined) {
        add('retrieval', 'exact top-10, 1 query, 1M × 64, Chromium, the floats scanned (prune: false) (ms)', f(pr.singleP50.exactFloats, 1), pairedPeer, `${f(pr.exactFloatsVsTfjs)}× (median of the rounds' ratios)`, '—', null, cmd, day(ret));
      }
    } else if (ex && tf1) {
      add('retrieval', 'exact top-10, 1 query, 1M × 64, Chromium (ms)', f(ex.singleMs, 1), peer('singleMs'), `${f(ex.singleVsTfjs)}× (${f(ex.singleVsTfjsBest)}× TF.js's best)`, '≤ 0.8×', ex.singleVsTfjs <= 0.8, cmd, day(ret));
    }
    if (ex && tf1) {
      add('retrieval', 'exact top-10, 128-query batch, 1M × 64, Chromium (ms; the default exact index: its int8 bound)', f(ex.batchMs, 0), peer('batchMs'), `${f(ex.batchVsTfjs)}× (${f(ex.batchVsTfjsBest)}×)`, '≤ 0.6×', ex.batchVsTfjs <= 0.6, cmd, day(ret));
      if (exf) add('retrieval', 'exact top-10, 128-query batch, 1M × 64, Chromium, the floats scanned (prune: false) (ms)', f(exf.batchMs, 0), peer('batchMs'), `${f(exf.batchVsTfjs)}× (${f(exf.batchVsTfjsBest)}×)`, '—', null, cmd, day(ret));
    }
    if (i8 && tf1) {
      const kernel = i8.kernel ? `, ${i8.kernel} kernel` : '';
      if (pr) {
        add('retrieval', `int8 top-10, 1 query, 1M × 64, Chromium (ms; recall@10 ${f(i8.recall, 3)}, ${pr.kernel} kernel)`, f(pr.singleP50.int8, 1), pairedPeer, `${f(pr.int8VsTfjs)}× (median of the rounds' ratios)`, '≤ 0.35×, recall ≥ 0.99', pr.int8VsTfjs <= 0.35 && i8.recall >= 0.99, cmd, day(ret));
      } else {
        add('retrieval', `int8 top-10, 1 query, 1M × 64, Chromium (ms; recall@10 ${f(i8.recall, 3)}${kernel})`, f(i8.singleMs, 1), peer('singleMs'), `${f(i8.singleVsTfjs)}× (${f(i8.singleVsTfjsBest)}×)`, '≤ 0.35×, recall ≥ 0.99', i8.singleVsTfjs <= 0.35 && i8.recall >= 0.99, cmd, day(ret));
      }
      add('retrieval', `int8 top-10, 128-query batch, 1M × 64, Chromium (ms${kernel})`, f(i8.batchMs, 0), peer('batchMs'), `${f(i8.batchVsTfjs)}× (${f(i8.batchVsTfjsBest)}×)`, '—', null, cmd, day(ret));
      const p2 = ret.paired2;
      if (p2) {
        add('retrieval', 'exact / int8 top-10, 1 query, 1M × 64, Chromium, 2 threads (ms; the pthread engine splits the items)', `${f(p2.singleP50.exact, 1)} / ${f(p2.singleP50.int8, 1)}`,
          `TF.js wasm, pre-transposed, ${p2.tfjsThreads} threads, in the same page, ${p2.rounds} alternating rounds of ${p2.block} queries: ${f(p2.singleP50.tfjs, 1)} ms`,
          `${f(p2.exactVsTfjs)}× / ${f(p2.int8VsTfjs)}× (median of the rounds' ratios)`, '—', null, cmd, day(ret));
      }
      const own = row(1000000, 64, 'int8 simd128');
      if (own) {
        add('retrieval', 'int8 top-10, 1 query / 128-query batch, 1M × 64, Chromium, the engine\'s own simd128 kernel (ms)', `${f(own.singleMs, 1)} / ${f(own.batchMs, 0)}`,
          `the relaxed-SIMD kernel, same page: ${f(i8.singleMs, 1)} / ${f(i8.batchMs, 0)}`, `${f(own.singleMs / i8.singleMs)}× / ${f(own.batchMs / i8.batchMs)}×`, '—', null, cmd, day(ret));
      }
    }
    if (ret.bandwidth?.nativeExactSingleMs) {
      const b = ret.bandwidth;
      add('retrieval', `exact top-10, 1 query, 1M × 64, native, the floats scanned (ms${b.nativeBoundedSingleMs ? `; through the int8 bound: ${f(b.nativeBoundedSingleMs, 1)}` : ''})`, f(b.nativeExactSingleMs, 1), `memory bound: 256 MB at ${f(b.read_gb_per_s)} GB/s (\`recsys bench-bandwidth\`) = ${f(b.boundMs1mX64, 1)} ms`,
        `${f(b.nativeExactSingleMs / b.boundMs1mX64)}×`, '≤ 1.5×', b.nativeExactSingleMs <= 1.5 * b.boundMs1mX64, cmd, day(ret));
    }
    const ivf = ret.rows.filter((x) => x.n === 100000 && x.d === 128 && x.kind === 'ivf');
    const exb100 = row(100000, 128, 'exact');
    const ex100 = row(100000, 128, 'exact floats') ?? exb100;
    const ok = ivf.filter((x) => x.recall >= 0.95).sort((a, b) => a.singleMs - b.singleMs)[0];
    if (ok && ex100) {
      const bounded = ex100 !== exb100 && exb100 ? `; the default exact index, through its int8 bound: ${f(exb100.singleMs, 2)} ms, ${f(exb100.singleMs / ok.singleMs, 1)}×` : '';
      add('retrieval', `IVF top-10, 1 query, 100k × 128, Chromium (ms; recall@10 ${f(ok.recall, 3)})`, f(ok.singleMs, 2), `the exact index scanning the floats: ${f(ex100.singleMs, 2)} ms${bounded}`, `${f(ex100.singleMs / ok.singleMs, 1)}× faster`, '≥ 5× at recall ≥ 0.95', ex100.singleMs / ok.singleMs >= 5, cmd, day(ret));
      add('retrieval', 'IVF build, 100k × 128, Chromium (s)', f(ivf[0].buildMs / 1000, 1), '—', '—', '≤ 5 s', ivf[0].buildMs <= 5000, cmd, day(ret));
    }
  } else if (ret) {
    add('retrieval', 'retrieval', '—', 'results predate the current peers: run the benchmark', '—', '—', null, '`npm run bench -- retrieval`', day(ret));
  }

  const ses = load('session');
  const commitOf = (path) => (path ? `commit ${path.match(/baseline\/(\w+)/)?.[1] ?? path}` : 'the baseline');
  if (ses) {
    const p95 = Object.values(ses.engines ?? {}).flatMap((e) => e.runs.map((x) => x.p95));
    const vs = ses.vsBaseline ? Object.values(ses.vsBaseline).flatMap((e) => Object.values(e).map((x) => x.p95)) : [];
    add('session', 'event → next top-10, 100k items, p95, worst of indexes × scenes × engines (ms)', f(Math.max(...p95), 1),
      vs.length ? `${commitOf(ses.baseline)}, alternating` : '—',
      vs.length ? `${f(vs.reduce((a, b) => a * b, 1) ** (1 / vs.length))}× (geometric mean of ${vs.length} p95 ratios)` : '—', '≤ 16 ms', Object.values(ses.targets ?? {})[0], '`npm run bench -- session`', day(ses));
  }
  const req = load('requests');
  if (req?.ratios) {
    add('requests', 'warm recommend(), cache off, Chromium (µs per call)', n0(req.chromium_results.off.current.usPerCall), `${commitOf(req.baseline)}: ${n0(req.chromium_results.off.baseline.usPerCall)}`, `${f(req.ratios.chromium['cache off'])}×`, '—', null, '`npm run bench -- requests`', day(req));
    add('requests', 'warm recommend(), cache hit, Chromium (µs per call)', f(req.chromium_results.on.current.usPerCall, 1), `${commitOf(req.baseline)}: ${n0(req.chromium_results.on.baseline.usPerCall)}`, `${f(req.ratios.chromium['cache on'], 3)}×`, '—', null, '`npm run bench -- requests`', day(req));
  }
  const sim = load('simulator');
  if (sim?.results) {
    const m = sim.results.find((x) => x.arm === 'model');
    add('simulator', 'simulated sessions/s, model arm, native (1 thread / all cores)', `${n0(m.sessions_per_second_1_thread)} / ${n0(m.sessions_per_second_all_cores)}`, '—', '—', '≥ 10,000', m.sessions_per_second_all_cores >= 10000, '`npm run bench -- simulator`', day(sim));
  }
  const size = load('size');
  if (size) {
    const kb = (x) => f(x / 1024, 1);
    add('size', 'serving engine .wasm, gzip -9 (KB)', kb(size.engines.serving.wasm.gzipBytes), `TF.js 4.22 + wasm backend, all files: ${kb(size.tfjs.totalGzipBytes)}`, `${f(size.ratios.servingVsTfjs)}× (with glue and wrapper)`, '≤ 150 KB', size.targets['serving engine .wasm <= 150 KB gzipped'], '`npm run bench -- size`', day(size));
    add('size', 'full engine .wasm, gzip -9 (KB)', kb(size.engines.full.wasm.gzipBytes), `the same: ${kb(size.tfjs.totalGzipBytes)}`, `${f(size.ratios.fullVsTfjs)}×`, '≤ 250 KB', size.targets['full engine .wasm <= 250 KB gzipped'], '`npm run bench -- size`', day(size));
  }
  const fp = load('firstpage');
  if (fp) {
    const s = fp.summary;
    const floor = s.scriptPageMs ? `same rounds: a page of one module script ${n0(s.scriptPageMs)}; the serving engine started ${n0(s.enginePageMs)}` +
      (s.floorPageMs ? `; the page's floor (its HTML, the engine started, its files downloaded, nothing read) ${n0(s.floorPageMs)}` : '') : '—';
    const b = fp.vsBaseline;
    const build = b ? b.dir.match(/baseline\/([0-9a-f]+)/)?.[1] ?? 'an earlier build' : null;
    add('firstpage', `first recommendations on the Recommend page, localhost, median of ${fp.loads.length} cold loads (ms; engine / dataset / model marks)`,
      `${n0(s.visibleMs)} (${n0(s.engineMs)} / ${n0(s.datasetMs)} / ${n0(s.modelMs)})`, b ? `${floor}; commit ${build}, alternating: ${n0(b.visibleMs)}` : floor,
      b ? `${f(b.ratio)}× ${build} (median of the rounds' ratios)` : '—', '≤ 500 ms', s.visibleMs <= 500, '`npm run bench -- firstpage`', day(fp));
  }
  const pr = load('precision');
  if (pr) {
    const cmd = '`npm run bench -- precision`';
    const pct = (x) => `${x >= 0 ? '+' : ''}${f(100 * x)} %`;
    const d = pr.delta;
    for (const p of ['f16', 'int8']) {
      add('precision', `${p} model file: demo model weights (KB)`, n0(pr.load[p].weightsBytes / 1024), `f32: ${n0(pr.load.f32.weightsBytes / 1024)}`,
        `${f(pr.load[p].weightsBytes / pr.load.f32.weightsBytes)}×`, '—', null, cmd, day(pr));
      add('precision', `${p}: validation NDCG@10 against f32, synthetic / Online Retail (mean of ${pr.seeds.length} seeds; test)`,
        `${pct(d.synthetic[p].validationNdcgChange)} / ${pct(d['online-retail'][p].validationNdcgChange)} (test ${pct(d.synthetic[p].testNdcgChange)} / ${pct(d['online-retail'][p].testNdcgChange)})`,
        'the f32 file', '—', '≥ −1 % for the page', d.synthetic[p].validationNdcgChange >= -0.01 && d['online-retail'][p].validationNdcgChange >= -0.01, cmd, day(pr));
      add('precision', `${p}: loadModel() of the demo model, Chromium (ms, median of 7)`, f(pr.load[p].loadMs, 0), `f32: ${f(pr.load.f32.loadMs, 0)}`,
        `${f(pr.load[p].loadMs / pr.load.f32.loadMs)}×`, '—', null, cmd, day(pr));
    }
  }
  return out;
}

export function markdown() {
  const r = rows();
  const lines = ['| benchmark | figure | ours | peer, same run | ratio | target | | command (date) |', '|---|---|---|---|---|---|---|---|'];
  for (const x of r) lines.push(`| ${x.bench} | ${x.what} | ${x.ours} | ${x.peer} | ${x.ratio} | ${x.target} | ${x.met} | ${x.command} (${x.date}) |`);
  return `${lines.join('\n')}\n`;
}

export function write() {
  const file = join(dir, 'TABLE.md');
  writeFileSync(file, markdown());
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(markdown());
