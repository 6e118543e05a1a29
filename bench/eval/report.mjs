// npm run bench -- eval: the offline evaluation report (docs/evaluation.md, bench/results/eval.json).
// Every number comes from a build/recsys command printed beside it. Hyperparameters are chosen on
// a validation period before the test period, never on the test period:
//   UCI Online Retail, temporal cut: tune = fit on < 2011-09-01, validate on September 2011;
//   test = fit on < 2011-10-01, evaluate on 2011-10-01 .. 2011-12-09 (the end of the data).
//   Synthetic shop, leave-last-out: tune on each user's second-to-last new item, test on the last.
// Full ranking, K = 10. Two protocols: explore (items the user already had are not candidates)
// and, on Online Retail, repeat (--include-seen: they are, and count when bought again).
// --reuse-two-tower: the two-tower rows are taken from the previous bench/results/eval.json (their
// training takes most of an hour on 2 cores); --reuse-baselines: the baseline rows too (their grids
// take most of another hour); --retrain-two-tower=NAME[,NAME]: those datasets' two-tower rows run
// again all the same; the report says which rows were reused and from which run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, root, writeResult } from '../lib.mjs';

const CLI = join(root, 'build', 'recsys');
const rel = (p) => p.replace(`${root}/`, '');

function recsys(args) {
  const r = spawnSync(CLI, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`recsys ${args.join(' ')} failed: ${r.stderr.slice(-1500)}`);
  return r.stdout;
}
const shell = (args) => `build/recsys ${args.map((a) => rel(a)).map((a) => (/[{}" ,]/.test(a) ? `'${a}'` : a)).join(' ')}`;

const DATASETS = {
  'online-retail': {
    title: 'UCI Online Retail, temporal cut',
    data: ['--data', 'online-retail', '--split', 'temporal', '--validation-start', '2011-09-01', '--test-start', '2011-10-01'],
    // Retraining the two-tower for the test: everything before the test period, no validation.
    refit: ['--data', 'online-retail', '--split', 'none', '--before', '2011-10-01'],
    // The candidate ranker's cut: 30 days before the fit logs end (2011-10-01).
    featuresCut: '2011-09-01',
  },
  synthetic: {
    title: 'synthetic shop (seed 42), per-user leave-last-out',
    data: ['--data', 'synthetic', '--split', 'leave-last-out'],
    refit: null,  // leave-last-out: the model trained with the split is evaluated as it is
  },
};

const GRID = {
  itemknn: [10, 20, 50, 100, 200].map((n) => ({ neighbours: n })),
  ease: [50, 100, 200, 500, 1000, 2000].map((lambda) => ({ lambda })),
  mf: [32, 64, 128].flatMap((factors) => [0.1, 1, 10].flatMap((regularization) => [5, 20].map((alpha) => ({ factors, regularization, alpha })))),
};
const TWO_TOWER = {
  seed: [{ preset: 'seed', config: {} }],
  default: [
    { preset: 'default', config: {} },
    { preset: 'default', config: { history_length: 100, history_decay: 1.0 } },
    { preset: 'default', config: { history_length: 100, history_decay: 1.0, item_id_dim: 64, hidden: [256], output_dim: 128 } },
    // The sequence-aware user tower (SASRec-style attention over the history).
    { preset: 'default', config: { history_encoder: 'attention' } },
  ],
};

function evaluate(ds, model, on, params, extra = []) {
  const args = ['eval', ...ds.data, '--model', model, '--on', on, '--k', '10', '--json', ...extra];
  if (params && Object.keys(params).length) args.push('--params', JSON.stringify(params));
  const r = JSON.parse(recsys(args));
  return { ...r, command: shell(args) };
}

// Runs a training command unless `dir` holds a model that the same command wrote.
function trainOnce(args, dir) {
  const stamp = join(dir, 'command.json');
  if (existsSync(join(dir, 'model.safetensors')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === JSON.stringify(args)) return;
  recsys(args);
  writeFileSync(stamp, JSON.stringify(args));
}

function train(ds, tt, out, extra = []) {
  // Up to 20 epochs with early stopping on validation, unless `extra` sets --epochs (the refit).
  const args = ['train', ...(extra.length ? [] : ds.data), '--preset', tt.preset, ...(extra.includes('--epochs') ? [] : ['--epochs', '20']),
    ...extra, '--out', out, '--json'];
  if (Object.keys(tt.config).length) args.push('--config', JSON.stringify(tt.config));
  const r = JSON.parse(recsys(args));
  return { ...r, command: shell(args) };
}

// The repeat protocol's scene: the user's own items and the personal source, neither ranked nor
// diversified (fixed a priori, not tuned), with bought items allowed back.
// The candidate ranker's scene (chosen on validation, Online Retail): every source the ranker can
// draw on, no diversity; for the repeat protocol the user's own items too, bought ones allowed.
const RETAIL_SOURCES = [{ source: 'personal', quota: 100 }, { source: 'neighbours', quota: 100 }, { source: 'ease', quota: 100 }, { source: 'similar', quota: 50 },
  { source: 'popular', quota: 50 }, { source: 'trending', quota: 50 }];
const RETAIL = { scenes: { retail: { page: 'default', sources: RETAIL_SOURCES, rank: true, diversity: 0 } } };
const RETAIL_REPEAT = { exclude_purchased: false, scenes: { retail: { page: 'default', sources: [{ source: 'repeat', quota: 100 }, ...RETAIL_SOURCES], rank: true, diversity: 0 } } };
const SEEDS = [11, 12, 13];
const REORDER = { exclude_purchased: false, scenes: { reorder: { page: 'default', sources: [{ source: 'repeat', quota: 100 }, { source: 'personal', quota: 100 }], rank: false, diversity: 0 } } };

// The mean of runs over seeds (every numeric field), with NDCG@10 per seed and its spread.
function seeded(runs) {
  const test = { ...runs[0] };
  for (const key of Object.keys(runs[0])) {
    if (typeof runs[0][key] === 'number') test[key] = runs.reduce((a, r) => a + r[key], 0) / runs.length;
  }
  const sd = Math.sqrt(runs.reduce((a, r) => a + (r.ndcg - test.ndcg) ** 2, 0) / (runs.length - 1));
  test.command = runs.map((r) => r.command).join('\n');
  return { test, ndcg_runs: runs.map((r) => r.ndcg), ndcg_sd: sd, truth_runs: runs.map((r) => r.truth_recall) };
}

export async function run() {
  const outDir = join(root, 'build', 'eval-models');
  mkdirSync(outDir, { recursive: true });
  const reuseBaselines = process.argv.includes('--reuse-baselines');
  const reuse = reuseBaselines || process.argv.includes('--reuse-two-tower');
  const retrain = process.argv.find((a) => a.startsWith('--retrain-two-tower='))?.split('=')[1].split(',') ?? [];
  const previousFile = join(root, 'bench', 'results', 'eval.json');
  const previous = reuse && existsSync(previousFile) ? JSON.parse(readFileSync(previousFile, 'utf8')) : null;
  if (reuse && !previous) throw new Error('--reuse-*: no bench/results/eval.json to reuse');
  const again = (r) => ({ ...r, reused: r.reused ?? previous.date });
  const BASELINES = ['random', 'popularity', 'personal-frequency', 'itemknn', 'ease', 'mf'];
  const results = {};
  for (const [name, ds] of Object.entries(DATASETS)) {
    console.log(`== ${ds.title}`);
    const rows = [];
    if (reuseBaselines) rows.push(...previous.results[name].rows.filter((r) => BASELINES.includes(r.model)).map(again));
    // Baselines without hyperparameters.
    for (const model of reuseBaselines ? [] : ['random', 'popularity']) {
      rows.push({ model, params: {}, test: evaluate(ds, model, 'test') });
    }
    // Tuned baselines: best NDCG@10 on validation.
    for (const model of reuseBaselines ? [] : ['itemknn', 'ease', 'mf']) {
      let best = null;
      for (const params of GRID[model]) {
        const v = evaluate(ds, model, 'validation', params);
        console.log(`  ${model} ${JSON.stringify(params)}: validation NDCG@10 ${v.ndcg.toFixed(4)}`);
        if (!best || v.ndcg > best.v.ndcg) best = { params, v };
      }
      rows.push({ model, params: best.params, validation: best.v, test: evaluate(ds, model, 'test', best.params) });
    }
    // Two-tower presets: train with validation (early stopping picks the epoch), choose the
    // config by validation NDCG@10, then (temporal cut) retrain on everything before the test.
    const reuseTT = reuse && !retrain.includes(name);
    const reused = reuseTT ? previous?.results[name]?.rows.filter((r) => r.model.startsWith('two-tower')) ?? [] : [];
    for (const r of reused) rows.push(again(r));
    for (const [preset, candidates] of Object.entries(reuseTT ? {} : TWO_TOWER)) {
      let best = null;
      candidates.forEach((tt, i) => {
        const dir = join(outDir, `${name}-${preset}-${i}`);
        const t = train(ds, tt, dir);
        const v = evaluate(ds, dir, 'validation');
        console.log(`  two-tower ${preset} ${JSON.stringify(tt.config)}: epoch ${t.training.best_epoch}, validation NDCG@10 ${v.ndcg.toFixed(4)}`);
        if (!best || v.ndcg > best.v.ndcg) best = { tt, t, v, dir };
      });
      let testDir = best.dir;
      let retrain = null;
      if (ds.refit) {
        testDir = join(outDir, `${name}-${preset}-test`);
        // --epochs: the epoch early stopping chose on validation.
        retrain = train(ds, best.tt, testDir, [...ds.refit, '--patience', '0', '--epochs', String(best.t.training.best_epoch)]);
      }
      const test = evaluate(ds, testDir, 'test');
      rows.push({ model: `two-tower ${preset}`, params: { ...best.tt.config, epochs: best.t.training.best_epoch }, validation: best.v,
        test, train: best.t.command, retrain: retrain?.command ?? null });
    }
    // The pipeline: what Recommender::recommend serves, over the chosen default two-tower (the
    // configuration and epochs of its row) trained again with its ranker on the same fit data.
    const tt = rows.find((r) => r.model === 'two-tower default');
    const { epochs, ...config } = tt.params;
    const pipeDir = join(outDir, `${name}-pipeline-test`);
    const pipeTrain = ['train', ...(ds.refit ?? ds.data), '--preset', 'default', '--patience', '0', '--epochs', String(epochs), '--ranker', '--out', pipeDir, '--json'];
    if (Object.keys(config).length) pipeTrain.push('--config', JSON.stringify(config));
    trainOnce(pipeTrain, pipeDir);
    const pipe = (scene, ranker, extra = []) => ['--model-dir', pipeDir, '--scene', scene, ...(ranker ? [] : ['--no-ranker']), ...extra];
    for (const scene of ['default', 'home_page']) {
      for (const ranker of [false, true]) {
        const test = evaluate(ds, 'pipeline', 'test', null, pipe(scene, ranker, ranker ? [] : ['--source-recall', '100']));
        rows.push({ model: test.model, params: {}, test, train: rows.some((r) => r.pipelineTrain) ? null : shell(pipeTrain), pipelineTrain: true });
      }
    }
    // The pipeline with the candidate ranker (Online Retail): the retail scene's sources, a ranker
    // fitted on the last 30 days of the fit logs with features from a two-tower trained before
    // that cut (the default's configuration and epochs); three ranker seeds, their mean reported.
    // Scene, objective and settings were chosen on the validation period (docs: the notes below).
    let featTrain = null;
    const ranked = (protocol, strategy, objective, extra = []) => {
      const runs = SEEDS.map((seed) => evaluate(ds, 'pipeline', 'test', null, [...extra, ...pipe('retail', false),
        '--strategy', JSON.stringify(strategy), '--features-model', featDir,
        '--candidate-ranker', JSON.stringify({ seed, objective })]));
      return { model: `pipeline retail + candidate ranker (${protocol})`, params: { objective, seeds: SEEDS }, ...seeded(runs),
        seeds_of: `candidate-ranker seeds ${SEEDS.join(', ')}`, train: featTrain ? shell(featTrain) : null };
    };
    const featDir = join(outDir, `${name}-features-before-cut`);
    if (ds.featuresCut) {
      featTrain = ['train', '--data', name, '--split', 'none', '--before', ds.featuresCut, '--preset', 'default', '--patience', '0',
        '--epochs', String(epochs), '--out', featDir, '--json'];
      if (Object.keys(config).length) featTrain.push('--config', JSON.stringify(config));
      trainOnce(featTrain, featDir);
      rows.push(ranked('explore', RETAIL, 'listwise'));
    }
    if (name === 'synthetic') {
      // The ranker's share of each candidate's relevance (strategy ranker_weight), chosen on
      // validation: the largest weight whose validation NDCG@10 stays at least the best baseline's
      // there. The ranker learns from impressions, which carry more of the users' true preferences
      // than the single next item does; the retrieval score carries the next item.
      const bestBaseline = Math.max(...rows.filter((r) => ['itemknn', 'ease', 'mf'].includes(r.model)).map((r) => r.validation.ndcg));
      const sweep = [0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1].map((w) => {
        const v = evaluate(ds, 'pipeline', 'validation', null, pipe('default', true, ['--strategy', JSON.stringify({ ranker_weight: w })]));
        console.log(`  pipeline default + ranker, ranker_weight ${w}: validation NDCG@10 ${v.ndcg.toFixed(4)}, true top-10 recall ${v.truth_recall.toFixed(4)}`);
        return { w, v };
      });
      const chosen = [...sweep].reverse().find(({ v }) => v.ndcg >= bestBaseline) ?? sweep[0];
      const runs = [];
      const trains = [];
      for (const seed of [42, 43, 44]) {
        const dir = seed === 42 ? pipeDir : `${pipeDir}-seed-${seed}`;
        const args = seed === 42 ? pipeTrain : [...pipeTrain.map((a) => (a === pipeDir ? dir : a)), '--seed', String(seed)];
        trainOnce(args, dir);
        trains.push(shell(args));
        runs.push(evaluate(ds, 'pipeline', 'test', null, ['--model-dir', dir, '--scene', 'default', '--strategy', JSON.stringify({ ranker_weight: chosen.w })]));
      }
      rows.push({ model: `pipeline default + ranker, ranker_weight ${chosen.w}`, params: { ranker_weight: chosen.w, seeds: [42, 43, 44] },
        validation: chosen.v, ...seeded(runs), seeds_of: 'two-tower and ranker seeds 42, 43, 44 (each trained with `--seed`)',
        train: trains.slice(1).join('\n'), sweep: sweep.map(({ w, v }) => ({ ranker_weight: w, ndcg: v.ndcg, truth_recall: v.truth_recall })),
        best_baseline_validation_ndcg: bestBaseline });
      // The strongest baseline's spread over seeds (ALS; EASE is a closed form).
      const mf = rows.find((r) => r.model === 'mf');
      const mfRuns = [1, 2, 3].map((seed) => evaluate(ds, 'mf', 'test', { ...mf.params, seed }));
      rows.push({ model: 'mf, three seeds', params: { ...mf.params, seeds: [1, 2, 3] }, ...seeded(mfRuns), seeds_of: 'ALS seeds 1, 2, 3' });
    }
    for (const r of rows) console.log(`  ${r.model.padEnd(26)} test NDCG@10 ${r.test.ndcg.toFixed(4)}  HR ${r.test.hit_rate.toFixed(4)}  users ${r.test.users}`);
    // The repeat protocol (Online Retail: customers reorder; the synthetic shop's held-out items
    // are new by construction): the tuned baselines with their explore settings, the repeat
    // baseline, the two-tower, and the pipeline with bought items allowed back.
    const repeat = [];
    if (name === 'online-retail') {
      const seen = ['--include-seen'];
      if (reuseBaselines) repeat.push(...previous.results[name].repeat.filter((r) => BASELINES.includes(r.model)).map(again));
      for (const model of reuseBaselines ? [] : ['popularity', 'personal-frequency']) repeat.push({ model, params: {}, test: evaluate(ds, model, 'test', null, seen) });
      for (const model of reuseBaselines ? [] : ['itemknn', 'ease', 'mf']) {
        const { params } = rows.find((r) => r.model === model);
        repeat.push({ model, params, test: evaluate(ds, model, 'test', params, seen) });
      }
      const ttTest = join(outDir, `${name}-default-test`);
      repeat.push({ model: 'two-tower default', params: tt.params, test: evaluate(ds, existsSync(join(ttTest, 'model.safetensors')) ? ttTest : pipeDir, 'test', null, seen) });
      for (const [scene, strategy] of [['default', { exclude_purchased: false }], ['reorder', REORDER]]) {
        const test = evaluate(ds, 'pipeline', 'test', null, [...seen, ...pipe(scene, false, ['--strategy', JSON.stringify(strategy), '--source-recall', '100'])]);
        repeat.push({ model: `${test.model} (bought items allowed)`, params: {}, test });
      }
      const r2 = ranked('repeat', RETAIL_REPEAT, 'pointwise', seen);
      r2.model = `${r2.model} (bought items allowed)`;
      repeat.push(r2);
      for (const r of repeat) console.log(`  repeat: ${r.model.padEnd(40)} test NDCG@10 ${r.test.ndcg.toFixed(4)}`);
    }
    results[name] = { title: ds.title, rows, repeat };
  }
  const out = { benchmark: 'eval', date: new Date().toISOString(), machine: machine(), results,
    reuse: [reuseBaselines ? '--reuse-baselines' : reuse ? '--reuse-two-tower' : '', retrain.length ? `--retrain-two-tower=${retrain.join(',')}` : ''].filter(Boolean).join(' ') };
  const file = writeResult('eval', out);
  writeFileSync(join(root, 'docs', 'evaluation.md'), markdown(out));
  console.log(`wrote ${rel(file)} and docs/evaluation.md`);
  return out;
}

export function markdown(out) {
  const f = (x, d = 4) => (x === undefined || x === null || x < 0 ? '—' : x.toFixed(d));
  const label = (row) => `${row.model}${row.reused ? ` (${row.reused.slice(0, 10)})` : ''}${row.ndcg_runs ? ' ‡' : ''}`;
  const all = Object.values(out.results).flatMap((r) => [...r.rows, ...(r.repeat ?? [])]);
  const reusedDates = [...new Set(all.filter((r) => r.reused).map((r) => r.reused.slice(0, 10)))].sort();
  let s = `# Offline evaluation

Generated by \`npm run bench -- eval${out.reuse ? ` ${out.reuse}` : ''}\` (bench/eval/report.mjs) on ${out.date.slice(0, 10)}; raw numbers in
\`bench/results/eval.json\`.${reusedDates.length ? ` Rows marked with a date were reused from the report's run of that date (${reusedDates.join(', ')}; the
two-tower trainings and the baselines' grids take most of two hours here); every other row ran on ${out.date.slice(0, 10)}.` : ''} Metrics are defined in \`core/eval/metrics.h\`.

Two protocols, each table says which. **Explore**: full ranking over the whole catalog, K = 10, items a user already
had in the fit data are not candidates (and not counted as relevant); a user is evaluated when it has fit history and
at least one new held-out item. **Repeat** (\`--include-seen\`, Online Retail only, where customers reorder): the
user's own items are candidates too, and every distinct held-out item counts. Hyperparameters (item-kNN neighbours;
EASE's λ; MF factors, regularisation, alpha; the two-tower configuration and its number of epochs) were chosen by
NDCG@10 on the validation period under the explore protocol, which ends before the test period starts; the test
period was used once per row. The repeat table reuses the explore choices.

**Pipeline** rows evaluate what \`Recommender::recommend\` serves (\`recsys eval --model pipeline\`): a Recommender
over the default two-tower (its row's configuration and epochs, trained again with \`--ranker\` on the same fit
data) fed with the fit logs, asked for each user's top 10 in the scene, the protocol's exclusions passed as
\`filters.exclude\` — one code path with the page (a test checks that the lists are the Recommender's).
`;
  for (const [name, r] of Object.entries(out.results)) {
    s += `\n## ${r.title}\n\n`;
    s += name === 'online-retail'
      ? 'Tune: fit on purchases before 2011-09-01, validate on September 2011. Test: fit on everything before 2011-10-01, evaluate on 2011-10-01 .. 2011-12-09. The two-tower models are retrained for the test on everything before 2011-10-01 for the number of epochs chosen on validation.\n\n'
      : 'Each user\'s first events per item; the last one is the test item, the one before it the validation item; the models are trained on the rest. "True top-10 recall" is the share of each user\'s 10 truly best items (the hidden truth model) that the list contains.\n\n';
    const truth = name === 'synthetic';
    s += `| model | chosen on validation | HR@10 | NDCG@10 | Recall@10 | MRR@10 | coverage | novelty | ILD (category) | Gini |${truth ? ' true top-10 recall |' : ''} users |\n`;
    s += `|---|---|---|---|---|---|---|---|---|---|${truth ? '---|' : ''}---|\n`;
    for (const row of r.rows) {
      const t = row.test;
      const params = Object.keys(row.params).length ? `\`${JSON.stringify(row.params)}\`` : '—';
      s += `| ${label(row)} | ${params} | ${f(t.hit_rate)} | ${f(t.ndcg)} | ${f(t.recall)} | ${f(t.mrr)} | ${f(t.coverage)} | ${f(t.novelty, 2)} | ${f(t.ild_category)} | ${f(t.gini)} |${truth ? ` ${f(t.truth_recall)} |` : ''} ${t.users} |\n`;
    }
    s += '\nCommands (in the order they ran; each prints the row\'s numbers with `--json`):\n\n```sh\n';
    const clean = (c) => c.replaceAll(`${root}/`, '');
    for (const row of r.rows) {
      if (row.train) s += `${clean(row.train)}\n`;
      if (row.retrain) s += `${clean(row.retrain)}\n`;
      s += `${clean(row.test.command)}\n`;
    }
    s += '```\n';
    const sources = r.rows.filter((row) => row.test.source_recall);
    if (sources.length) {
      const names = [...new Set(sources.flatMap((row) => Object.keys(row.test.source_recall)))];
      s += `\nCandidate sources (explore protocol): the recall of each user's held-out items among each source's first 100 candidates; "all" is the scene's own sources at their own quotas, what the ranker chooses from.\n\n`;
      s += `| pipeline | ${names.join(' | ')} |\n|---|${names.map(() => '---|').join('')}\n`;
      for (const row of sources) s += `| ${row.model} | ${names.map((n) => f(row.test.source_recall[n])).join(' | ')} |\n`;
    }
    if (r.repeat?.length) {
      s += `\n### Repeat protocol (\`--include-seen\`)\n\n| model | settings | HR@10 | NDCG@10 | Recall@10 | MRR@10 | coverage | users |\n|---|---|---|---|---|---|---|---|\n`;
      for (const row of r.repeat) {
        const t = row.test;
        const params = Object.keys(row.params).length ? `\`${JSON.stringify(row.params)}\`` : '—';
        s += `| ${label(row)} | ${params} | ${f(t.hit_rate)} | ${f(t.ndcg)} | ${f(t.recall)} | ${f(t.mrr)} | ${f(t.coverage)} | ${t.users} |\n`;
      }
      s += '\n```sh\n';
      for (const row of r.repeat) s += `${clean(row.test.command)}\n`;
      s += '```\n';
      const rs = r.repeat.find((row) => row.test.source_recall);
      if (rs) s += `\nSources of the reorder scene (repeat protocol, recall@100): ${Object.entries(rs.test.source_recall).map(([k, v]) => `${k} ${f(v)}`).join(', ')}.\n`;
    }
    const many = [...r.rows, ...(r.repeat ?? [])].filter((row) => row.ndcg_runs);
    if (many.length) {
      s += '\n‡ The mean of three seeds; NDCG@10 per seed and the standard deviation: ';
      s += many.map((row) => `${row.model} (${row.seeds_of}): ${row.ndcg_runs.map((x) => x.toFixed(4)).join(', ')} (sd ${row.ndcg_sd.toFixed(4)})` +
        (row.truth_runs?.every((x) => typeof x === 'number' && x >= 0) ? `, true top-10 recall ${row.truth_runs.map((x) => x.toFixed(4)).join(', ')}` : '')).join('; ');
      s += '.\n';
      const withTrain = many.filter((row) => row.train);
      const why = name === 'online-retail' ? ' (the candidate ranker\'s features come from a two-tower trained only before the cut it learns at)' : ' (seeds 43 and 44; seed 42 is the pipeline\'s model above)';
      if (withTrain.length) s += `\nTheir models${why}:\n\n\`\`\`sh\n` + withTrain.map((row) => `${clean(row.train)}\n`).join('') + '```\n';
    }
    const swept = r.rows.find((row) => row.sweep);
    if (swept) {
      s += `\nThe ranker's weight, chosen on validation (the largest whose NDCG@10 is at least the best baseline's there, ${swept.best_baseline_validation_ndcg.toFixed(4)}): `;
      s += swept.sweep.map((x) => `${x.ranker_weight}: NDCG@10 ${x.ndcg.toFixed(4)}, true top-10 recall ${x.truth_recall.toFixed(4)}`).join('; ') + '.\n';
    }
    s += targets(name, r);
    if (name === 'online-retail') s += CANDIDATE_RANKER_NOTES + ONLINE_RETAIL_NOTES;
    if (name === 'synthetic') s += SYNTHETIC_NOTES;
  }
  return s;
}

// The [quality] targets: the best pipeline row against the best of the baselines it must beat.
function targets(name, r) {
  const best = (rows, names) => rows.filter((row) => names.includes(row.model)).reduce((a, b) => (b.test.ndcg > a.test.ndcg ? b : a));
  const pipes = (rows) => rows.filter((row) => row.model.startsWith('pipeline'));
  const line = (label, rows, names, target = 1.1) => {
    const b = best(rows, names), p = pipes(rows).reduce((a, c) => (c.test.ndcg > a.test.ndcg ? c : a));
    const ratio = p.test.ndcg / b.test.ndcg;
    return `- ${label}: the best pipeline row (${p.model}, NDCG@10 ${p.test.ndcg.toFixed(4)}) is ${ratio.toFixed(3)}× the best of ${names.join(', ')} (${b.model}, ${b.test.ndcg.toFixed(4)}); target ≥ ${target}×: **${ratio >= target ? 'met' : `missed by ${((1 - ratio / target) * 100).toFixed(1)} %`}**.\n`;
  };
  let s = '\nTargets of the quality issue (test period, NDCG@10):\n\n';
  s += line('explore', r.rows, ['itemknn', 'ease', 'mf'], name === 'online-retail' ? 1.1 : 1.0);
  if (r.repeat?.length) s += line('repeat', r.repeat, ['personal-frequency', 'itemknn', 'ease', 'mf']);
  if (name === 'synthetic') {
    const baselines = r.rows.filter((row) => ['random', 'popularity', 'itemknn', 'ease', 'mf', 'mf, three seeds'].includes(row.model));
    const b = baselines.reduce((a, c) => (c.test.truth_recall > a.test.truth_recall ? c : a));
    const p = r.rows.find((row) => row.sweep);
    if (p) {
      const mf = r.rows.find((row) => row.model === 'mf, three seeds') ?? r.rows.find((row) => row.model === 'mf');
      const ease = r.rows.find((row) => row.model === 'ease');
      s += `- the chosen pipeline row (${p.model}, the mean of three seeds) against ALS (${mf.model}): NDCG@10 ${p.test.ndcg.toFixed(4)} vs ${mf.test.ndcg.toFixed(4)} (${(p.test.ndcg / mf.test.ndcg).toFixed(3)}×; lowest seed ${Math.min(...p.ndcg_runs).toFixed(4)} against ALS's highest ${Math.max(...(mf.ndcg_runs ?? [mf.test.ndcg])).toFixed(4)}): **${p.test.ndcg > mf.test.ndcg ? 'beats it' : 'does not beat it'}** (EASE ${ease.test.ndcg.toFixed(4)}: ${(p.test.ndcg / ease.test.ndcg).toFixed(3)}×); `;
      s += `true top-10 recall ${p.test.truth_recall.toFixed(4)} vs the best baseline's (${b.model}, ${b.test.truth_recall.toFixed(4)}): **${p.test.truth_recall > b.test.truth_recall ? 'more' : 'not more'}**.\n`;
    }
  }
  return s;
}

const SYNTHETIC_NOTES = `
### The sequence-aware user tower and what else was tried (validation only)

\`history_encoder: "attention"\` (core/retrieval/two_tower_config.h: the history items' embeddings plus learnt
position embeddings, one causal self-attention head read at the most recent position, with a residual; its gradients
are checked against finite differences in tests/cpp/test_retrieval.cpp) is a candidate of the two-tower grid above,
which chooses by validation NDCG@10 (it was added after the Online Retail two-tower rows above last ran). On Online
Retail it did not help, measured by hand with the chosen configuration (history 100, item-id 64, hidden 256, output 128; \`build/recsys train --data online-retail --split
temporal --validation-start 2011-09-01 --test-start 2011-10-01 --preset default --epochs 20 --config
'{"history_length":100,"item_id_dim":64,"hidden":[256],"output_dim":128,"history_encoder":"attention"}'\`, then
\`eval --on validation\`), validation NDCG@10 0.0602 against 0.0882 for the pooled mean — the items of one invoice
share a timestamp, so their order carries nothing. The candidate ranker on this shop (the retail scene, over the
pooled default two-tower, features from the serving model): labels from a 30-day window 0.0586 (the held-out item is
each user's last, not a window); \`holdout: "last"\` listwise 0.0925, pointwise 0.1041 — below the pooled two-tower's
0.1107, so the pipeline here keeps the click / purchase ranker, blended.
`;

const CANDIDATE_RANKER_NOTES = `
### How the candidate ranker's settings were chosen (validation period only)

Validation: the serving two-tower trained before 2011-09-01 (the default's configuration, 5 epochs), the ranker's
features from one trained before 2011-08-01, September 2011 held out; NDCG@10 (by hand with \`build/recsys eval
--on validation --model pipeline --candidate-ranker ...\`). Explore protocol: the default scene (personal 100)
0.0880 without a ranker, 0.0853 with the pointwise candidate ranker (features from the serving model); the retail
scene with the \`complementary\` source (its anchors are the last 5 items only; recall@100 0.035), same features,
0.0898; with the \`neighbours\` source instead
(item-kNN over the whole history, recall@100 0.209): 0.0856 when the ranker's features come from the serving model
itself (trained on the window it is labelled from), 0.1037 when they come from a model trained before the cut;
pointwise seeds 11 / 12 / 13: 0.1037, 0.0988, 0.1044; listwise: 0.1050, 0.1046, 0.1013 (chosen); quotas 200 / 200:
0.0995; 12 epochs: 0.0969 (pointwise), 0.1003 / 0.1010 (listwise); hidden [64, 32]: 0.1042; adding the \`ease\`
source (EASE's top 100 weights per item, λ 100 as chosen for the EASE baseline; recall@100 0.213, the scene's union
0.331): listwise 0.1047, 0.1066, 0.1085 (chosen). EASE reached 0.1020 and item-kNN 0.0952 on the same period.
Repeat protocol (the retail scene plus the \`repeat\` source, bought items allowed), without the \`ease\` source:
pointwise 0.3561 / 0.3599, listwise 0.3551 / 0.3473; with it, pointwise 0.3570 / 0.3590 (chosen: the same scene
for both protocols); personal top-frequency 0.3209.
`;

const ONLINE_RETAIL_NOTES = `
### Earlier notes (the two-tower, from the evaluation issue)

**The goal was not met here.** The default two-tower beats popularity on NDCG@10 by about 2x, but it does not beat
item-kNN by 10 % (it is below item-kNN and MF on this test period). What was tried on the validation period
(fit before September, validate on September; NDCG@10, by hand with \`build/recsys train\` / \`eval\`, before this
script existed): the default preset 0.0695; temperature 0.1 / 0.2: 0.0702 / 0.0682; no log-Q correction: 0.0463;
history of 50 items: 0.0713; recency decay 0.95 over 50 items: 0.0744; a plain mean of the last 100 items: 0.0841;
the same with item-id 64, hidden 256, output 128: 0.0882 (chosen); title-word hashing (\`title_dim\` 32): 0.0889;
only new items as training targets: 0.0790; distinct items in the history: 0.0878; batch 512: 0.0833.
Later, on the chosen configuration (with \`build/recsys train ... --config\`, then \`eval --on validation\`): a history
of 300 items: 0.0826; temperature 0.03: 0.0846; learning rate 0.002: 0.0847; mixed negative sampling with 512 / 2048
uniformly drawn negatives per batch (\`uniform_negatives\`): 0.0873 / 0.0859; user-id embedding 128: 0.0850; hidden layer
512: 0.0848. With a temporary change (not kept) that
builds each training example's history only from events strictly before its time — so that the other items of the
same invoice are not in it, as they are not at test time: history 100 / 300 / 1000 items: 0.0844 / 0.0921 / 0.0897,
300 distinct items: 0.0903. The best of these, 0.0921, is still 3 % below item-kNN on validation, and it did not
replicate: with training seeds 7 and 3 instead of 42 the same setting gave 0.0825 and 0.0834, and the chosen
configuration with seed 7 gave 0.0849 (0.0882 with seed 42). The seed-to-seed spread, about ±0.005, is larger than
most differences listed here, so only the large effects above (log-Q, history pooling, wider towers) are clear.
Item-kNN with 10 neighbours reached 0.0952 on the same validation period.

Why, and what might close the gap: this data is small (4,334 customers) and driven by item-to-item co-purchase
(wholesale customers reorder collections), which a 10-neighbour item-kNN captures sharply while a pooled
user tower smooths it. Candidates: a sequence-aware user tower (self-attention over the history, as in SASRec)
instead of a mean; training on basket context (same-invoice items as targets); and, in serving, blending the
two-tower with the co-purchase source — which the strategy layer's \`complementary\` source already does.
`;
