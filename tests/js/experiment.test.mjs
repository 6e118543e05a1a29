// Experiments through the JS API (the page's path): step by step on the default shop with the
// demo model and its ranker, the same numbers as `recsys experiment` for the same seed, the power
// calculator against statsmodels, and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRecsys, Experiment } from 'recsys-wasm';

const root = fileURLToPath(new URL('../../', import.meta.url));
const modelDir = `${root}data/demo/model`;
const rs = await createRecsys();
const shop = rs.generateShop();  // the default shop, which the demo model was trained on
const model = await rs.loadModel({ weights: `${modelDir}/model.safetensors`, manifest: `${modelDir}/manifest.json` });
const CONFIG = { sessions: 800, seed: 3, bandit: { sessions: 300 }, ope: { sessions: 300 } };

test('an experiment runs step by step and reports arms, tests, SRM, bandit and OPE', () => {
  const exp = rs.createExperiment({ model, dataset: shop, config: CONFIG });
  assert.ok(exp instanceof Experiment);
  const first = exp.step(200);
  assert.equal(first.sessions, 200);
  assert.equal(first.done, false);
  assert.ok(first.warnings.some((w) => /not valid yet/.test(w)), 'peeking before the planned size is flagged');
  let report = first;
  while (!exp.done) report = exp.step(200);
  assert.equal(report.sessions, 800);
  assert.deepEqual(report.arms.map((a) => a.name), ['model', 'popularity', 'diversified', 'random']);
  assert.equal(report.arms.reduce((s, a) => s + a.sessions, 0), 800);
  const [m, , , random] = report.arms;
  assert.ok(m.ctr.value > random.ctr.value && m.ctr.ciLow < m.ctr.value && m.ctr.value < m.ctr.ciHigh);
  const vsRandom = report.comparisons.find((c) => c.arm === 'random');
  assert.ok(vsRandom.ctr.pValue < 0.01);
  assert.ok(vsRandom.ctr.sequentialP >= vsRandom.ctr.pValue);  // the always-valid p is the cautious one
  assert.ok(vsRandom.revenuePerUser.cuped.varianceReduction > 0);
  assert.equal(report.history.length, 4);
  assert.equal(report.srm.mismatch, false);
  assert.deepEqual(report.warnings, []);
  assert.equal(report.bandit.pulls.reduce((s, x) => s + x, 0), 300);
  assert.ok(report.ope.truth.value > 0 && report.ope.dr.ciLow < report.ope.dr.ciHigh);
  exp.dispose();
});

test('the CLI and the JS API report the same numbers for the same seed', () => {
  const exp = rs.createExperiment({ model, dataset: shop, config: CONFIG });
  let js = exp.report();
  while (!exp.done) js = exp.step(1000);
  exp.dispose();
  const cli = JSON.parse(execFileSync(`${root}build/recsys`, ['experiment', '--model', modelDir, '--config', JSON.stringify(CONFIG), '--json'],
    { encoding: 'utf8' }));
  const close = (a, b, what) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: CLI ${a} vs JS ${b}`);
  for (let i = 0; i < js.arms.length; i++) {
    for (const key of ['users', 'sessions', 'impressions', 'clicks', 'carts', 'purchases']) assert.equal(cli.arms[i][key], js.arms[i][key], `${js.arms[i].name} ${key}`);
    close(cli.arms[i].revenue, js.arms[i].revenue, `${js.arms[i].name} revenue`);
    close(cli.arms[i].ctr.ciLow, js.arms[i].ctr.ciLow, `${js.arms[i].name} CTR interval`);
  }
  for (let i = 0; i < js.comparisons.length; i++) {
    for (const key of ['ctr', 'revenuePerUser', 'conversion']) close(cli.comparisons[i][key].pValue, js.comparisons[i][key].pValue, `${js.comparisons[i].arm} ${key} p`);
  }
  assert.deepEqual(cli.bandit.pulls, js.bandit.pulls);
  for (const key of ['truth', 'ips', 'snips']) close(cli.ope[key].value, js.ope[key].value, `OPE ${key}`);
  // DR sums the ranker's float predictions, whose last bits differ between the native and the
  // wasm arithmetic (the slates and every count above are identical).
  assert.ok(Math.abs(cli.ope.dr.value - js.ope.dr.value) <= 1e-6 * js.ope.dr.value);
});

test('the power calculator gives statsmodels\' figures', () => {
  // tests/cpp/stats_reference.inc: TTestIndPower and NormalIndPower (statsmodels 0.13.5).
  const close = (a, b) => assert.ok(Math.abs(a - b) <= 1e-6 * Math.abs(b), `${a} vs ${b}`);
  close(rs.sampleSize({ effectSize: 0.2, power: 0.8 }), 393.40569300025157);
  close(rs.sampleSize({ control: 0.05, treatment: 0.055, power: 0.8 }), 31217.423430777748);
  close(rs.power({ n: 100, effectSize: 0.2 }), 0.2906458716599109);
  close(rs.power({ n: 500, control: 0.2, treatment: 0.25 }), 0.47448640369592116);
  assert.throws(() => rs.sampleSize({ effectSize: 0 }), { name: 'RangeError', message: /non-zero/ });
});

test('experiments refuse a shop without its truth, and bad configs, clearly', () => {
  const csv = rs.loadDataset({ catalog: shop.catalogCsv(), interactions: shop.interactionsCsv() });
  assert.throws(() => rs.createExperiment({ model, dataset: csv }), { name: 'Error', kind: 'state', message: /no hidden truth/ });
  assert.throws(() => rs.createExperiment({ model, dataset: shop, config: { sesions: 10 } }), { name: 'TypeError', message: "experiment: unknown key 'sesions'" });
  assert.throws(() => rs.createExperiment({ model, dataset: shop, config: { bandit: { policy: 'greedy' } } }), { name: 'RangeError', message: /unknown policy 'greedy'/ });
  assert.throws(() => rs.createExperiment({ model: shop, dataset: shop }), { name: 'TypeError', message: /model must be a Model/ });
  csv.dispose();
});
