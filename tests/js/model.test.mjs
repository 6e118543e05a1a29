// Training and models through the JS API: step-wise training, progress and abort, model files that
// round-trip, refused corrupt files that leave the loaded model working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRecsys, Model, Trainer } from 'recsys-wasm';
import { assertScoresLikeNative, golden, goldenFiles } from './golden.mjs';

const rs = await createRecsys();

test('step-wise training lowers the loss and beats popularity on validation', () => {
  const shop = rs.generateShop({ users: 2000, items: 800, interactions: 25000 });
  const trainer = rs.createTrainer(shop, { preset: 'default', epochs: 3, patience: 0 });
  assert.ok(trainer instanceof Trainer);
  assert.equal(trainer.stepsPerEpoch, Math.ceil(trainer.examplesPerEpoch / 128));
  const first = trainer.step(5);
  assert.equal(first.steps, 5);
  assert.equal(first.epoch, 1);
  assert.ok(first.examplesPerSecond > 0);
  while (!trainer.done) trainer.step(40);
  const h = trainer.history;
  assert.equal(h.length, 3);
  assert.ok(h[2].meanLoss < h[0].meanLoss - 0.3, `loss ${h[0].meanLoss} -> ${h[2].meanLoss}`);
  assert.ok(h[2].validationRecall > 1.5 * trainer.popularityRecall,
    `recall ${h[2].validationRecall} vs popularity ${trainer.popularityRecall}`);
  trainer.dispose();
  shop.dispose();
});

test('train() reports progress, yields, and stops on an AbortSignal', async () => {
  const shop = rs.generateShop({ users: 500, items: 300, interactions: 6000 });
  const trainer = rs.createTrainer(shop, { preset: 'seed', split: 'none', epochs: 50 });
  const controller = new AbortController();
  const seen = [];
  await assert.rejects(trainer.train({
    sliceSteps: 5,
    signal: controller.signal,
    onProgress: (r) => { seen.push(r.totalSteps); if (seen.length === 3) controller.abort(new Error('stop here')); },
  }), { message: 'stop here' });
  assert.deepEqual(seen, [5, 10, 15]);
  assert.equal(trainer.done, false);
  trainer.dispose();
  shop.dispose();
});

test('a trained model recommends, saves and loads back identically', async () => {
  const shop = rs.generateShop({ users: 300, items: 200, interactions: 4000 });
  const trainer = rs.createTrainer(shop, { preset: 'default', epochs: 1, patience: 0 });
  await trainer.train();
  const model = trainer.model;
  trainer.dispose();  // the model outlives its trainer
  assert.ok(model instanceof Model);
  assert.equal(model.numItems, 200);
  assert.equal(model.dim, 64);
  const recs = model.recommend({ userId: 'user_7', k: 5 });
  assert.equal(recs.length, 5);
  assert.ok(recs[0].score >= recs[4].score);
  const anon = model.recommend({ history: ['item_3', 'item_9'], k: 3 });
  assert.equal(anon.length, 3);
  const files = model.toFiles({ training: { dataset: 'test' } });
  assert.ok(files.weights instanceof Uint8Array);
  assert.equal(JSON.parse(files.manifest).format, 'recsys-wasm.two-tower');
  const back = await rs.loadModel(files);
  assert.deepEqual(back.recommend({ userId: 'user_7', k: 5 }), recs);
  assert.deepEqual(back.toFiles({ training: { dataset: 'test' } }).weights, files.weights);
  model.dispose();
  back.dispose();
  shop.dispose();
});

test('toFiles({ precision }): f16 and int8 files are smaller, load in both engines and serve nearly the same lists', async () => {
  const shop = rs.generateShop({ users: 1500, items: 600, interactions: 20000 });
  const trainer = rs.createTrainer(shop, { preset: 'default', epochs: 2, patience: 0 });
  while (!trainer.done) trainer.step(100);
  const model = trainer.model;
  const f32 = model.toFiles();
  const serve = await createRecsys({ engine: 'serve' });
  const queries = [{ userId: 'user_7' }, { history: ['item_3', 'item_9'] }, { userId: 'user_40', history: ['item_12'] }];
  const top = (m) => queries.map((q) => m.recommend({ ...q, k: 10 }));
  const exact = top(model);
  for (const [precision, ratio] of [['f16', 0.52], ['int8', 0.36]]) {
    const files = model.toFiles({ precision });
    assert.ok(files.weights.length < ratio * f32.weights.length, `${precision}: ${files.weights.length} bytes against ${f32.weights.length}`);
    const manifest = JSON.parse(files.manifest);
    assert.equal(manifest.precision, precision);
    assert.equal(manifest.format_version, 2);
    for (const engine of [rs, serve]) {
      const back = await engine.loadModel(files);
      const got = top(back);
      got.forEach((list, q) => {
        // The quantised weights move scores by far less than the gaps between most neighbours.
        const shared = list.filter((r) => exact[q].some((e) => e.id === r.id)).length;
        assert.ok(shared >= 8, `${precision}, query ${q}: ${shared} of 10 items in common`);
        list.forEach((r, i) => assert.ok(Math.abs(r.score - exact[q][i].score) < (precision === 'f16' ? 2e-3 : 3e-2), `${precision}: score ${r.score} against ${exact[q][i].score}`));
      });
      // int8 → int8 again: the same bytes (each row's and column's scale is kept).
      if (engine === rs) assert.deepEqual(back.toFiles({ precision }).weights, files.weights);
      back.dispose();
    }
  }
  assert.throws(() => model.toFiles({ precision: 'int4' }), { name: 'RangeError', message: /precision must be 'f32', 'f16' or 'int8', got "int4"/ });
  assert.throws(() => model.toFiles({ dataset: 'x' }), { name: 'TypeError', message: /unknown option 'dataset' \(known: precision, training, pruneUserRows\)/ });
  assert.throws(() => model.toFiles(null), { name: 'TypeError', message: /options must be an object/ });
  assert.deepEqual(model.toFiles().weights, f32.weights);  // a refused call changed nothing
  trainer.dispose();
  shop.dispose();
});

test('toFiles({ pruneUserRows }): a serving file without the user rows no user reaches, the same lists for every user', async () => {
  const shop = rs.generateShop({ users: 1500, items: 600, interactions: 20000 });
  const trainer = rs.createTrainer(shop, { preset: 'default', epochs: 1, patience: 0 });
  while (!trainer.done) trainer.step(100);
  const model = trainer.model;
  const serve = await createRecsys({ engine: 'serve' });
  for (const precision of ['f32', 'int8']) {
    const dense = model.toFiles({ precision });
    const pruned = model.toFiles({ precision, pruneUserRows: true });
    // 1,500 users, two hashes each, reach at most 3,001 of the 4,097 rows.
    const row = precision === 'int8' ? 36 : 128;
    assert.ok(pruned.weights.length < dense.weights.length - 1000 * row, `${precision}: ${pruned.weights.length} bytes against ${dense.weights.length}`);
    const manifest = JSON.parse(pruned.manifest);
    assert.equal(manifest.format_version, 3);
    assert.equal(manifest.config.user_buckets, 4096);
    assert.ok(manifest.tensors['user/id_embedding'][0] <= 3001);
    assert.deepEqual(manifest.tensors['user/id_embedding.kept'], [4097]);
    const queries = [{}, { history: ['item_3', 'item_9'] }];
    for (let u = 1; u <= 1500; u += 37) queries.push({ userId: `user_${u}` }, { userId: `user_${u}`, history: ['item_12'] });
    for (const engine of [rs, serve]) {
      const a = await engine.loadModel(dense), b = await engine.loadModel(pruned);
      for (const q of queries) assert.deepEqual(b.recommend({ ...q, k: 10 }), a.recommend({ ...q, k: 10 }), `${precision}: ${JSON.stringify(q)}`);
      if (engine === rs) assert.deepEqual(b.toFiles({ precision, pruneUserRows: true }).weights, pruned.weights);
      a.dispose();
      b.dispose();
    }
  }
  assert.throws(() => model.toFiles({ pruneUserRows: 'yes' }), { name: 'TypeError', message: /pruneUserRows must be true or false, got "yes"/ });
  trainer.dispose();
  shop.dispose();
});

test('Model.load reads files by URL on a shared engine or on the one given', async () => {
  const files = goldenFiles();
  const [a, b] = [await Model.load(files), await Model.load(files, { recsys: rs })];
  assert.deepEqual(a.recommend({ history: ['item_3'], k: 5 }), b.recommend({ history: ['item_3'], k: 5 }));
  assert.equal(a.numItems, b.numItems);
  const c = await Model.load({ weights: new URL('model.safetensors', golden).pathname, manifest: new URL('manifest.json', golden).pathname });
  assert.equal(c.numItems, a.numItems);
  c.dispose();
  await assert.rejects(Model.load({ weights: '/nonexistent/model.safetensors', manifest: files.manifest }, { recsys: rs }),
    { message: /weights: cannot read \/nonexistent\/model.safetensors/ });
  await assert.rejects(Model.load(files, { recsys: {} }), { name: 'TypeError', message: /options\.recsys must be a Recsys/ });
  [a, b].forEach((m) => m.dispose());
});

test('the golden model loads in wasm and scores as it did natively', async () => {
  const model = await rs.loadModel({
    weights: readFileSync(new URL('model.safetensors', golden)),
    manifest: readFileSync(new URL('manifest.json', golden), 'utf8'),
  });
  assertScoresLikeNative(model);
  model.dispose();
});

test('corrupt files and bad arguments are clear errors that change nothing', async () => {
  const weights = readFileSync(new URL('model.safetensors', golden));
  const manifest = readFileSync(new URL('manifest.json', golden), 'utf8');
  const model = await rs.loadModel({ weights, manifest });
  const before = model.recommend({ userId: 'user_3', k: 3 });
  await assert.rejects(rs.loadModel({ weights: weights.subarray(0, weights.length - 10), manifest }), /truncated/);
  await assert.rejects(rs.loadModel({ weights, manifest: manifest.replace('"format_version": 1', '"format_version": 7') }),
    /format_version 7 is not supported/);
  await assert.rejects(rs.loadModel({ weights: 42, manifest }), { name: 'TypeError', message: /weights must be/ });
  assert.throws(() => model.recommend({ userId: 'nobody' }), { name: 'Error', kind: 'not_found', message: "recommend: unknown user 'nobody'" });
  assert.throws(() => model.recommend({ history: ['item_3', 'zzz'] }), /unknown item 'zzz' in history/);
  assert.throws(() => model.recommend({ k: 0 }), { name: 'RangeError', message: /k must be an integer/ });
  assert.throws(() => model.recommend({ history: 'item_3' }), { name: 'TypeError', message: /history must be an array/ });
  const shop = rs.generateShop({ users: 50, items: 40, interactions: 400, categories: 4 });
  assert.throws(() => rs.createTrainer(shop, { preset: 'huge' }), { name: 'RangeError', message: /unknown preset 'huge'/ });
  assert.throws(() => rs.createTrainer(shop, { config: { hidden: 'big' } }), { name: 'TypeError', message: /'hidden' must be an array/ });
  assert.throws(() => rs.createTrainer(shop, { learningRate: -1 }), { name: 'RangeError', message: /'learning_rate' must be in \[1e-7, 10\], got -1/ });
  assert.throws(() => rs.createTrainer(shop, { learningRate: '0.1' }), { name: 'TypeError', message: /learningRate must be a number, got "0.1"/ });
  assert.throws(() => rs.createTrainer({}, {}), { name: 'TypeError', message: /dataset must be a Dataset/ });
  assert.deepEqual(model.recommend({ userId: 'user_3', k: 3 }), before);
  model.dispose();
  shop.dispose();
});

test('offline evaluation runs in wasm for baselines and models', async () => {
  const shop = rs.generateShop({ users: 1500, items: 600, interactions: 20000 });
  const pop = rs.evaluate(shop, { model: 'popularity' });
  const knn = rs.evaluate(shop, { model: 'itemknn', params: { neighbours: 50 } });
  assert.equal(pop.model, 'popularity');
  assert.equal(pop.k, 10);
  assert.ok(pop.users > 1000);
  assert.ok(knn.ndcg > pop.ndcg);
  assert.ok(pop.coverage < knn.coverage);
  const sampled = rs.evaluate(shop, { model: 'random', protocol: 'sampled' });
  // ~1,400 users: the sampled hit rate's standard deviation is about 0.008.
  assert.ok(Math.abs(sampled.hit_rate - 10 / 101) < 0.035);
  const trainer = rs.createTrainer(shop, { epochs: 2, patience: 0 });
  await trainer.train();
  const model = trainer.model;
  const r = rs.evaluate(shop, { model, on: 'validation' });
  assert.equal(r.model, 'two-tower default');
  // An independent recall@10 on the validation split, from Model.recommend: each user's first
  // interactions with each item; the second-to-last is held out, the earlier ones are the
  // history and are not candidates.
  const { interactions: x } = shop.arrays();
  const itemIds = shop.items({ limit: shop.numItems }).map((it) => it.id);
  const userIds = shop.userIds({ limit: shop.numUsers });
  const seq = new Map();
  for (let i = 0; i < x.user.length; i++) {
    const list = seq.get(x.user[i]) ?? [];
    if (!list.includes(x.item[i])) list.push(x.item[i]);
    seq.set(x.user[i], list);
  }
  let hits = 0, users = 0;
  for (const [u, items] of seq) {
    if (items.length < 3) continue;
    const history = items.slice(0, -2).map((i) => itemIds[i]);
    const held = itemIds[items[items.length - 2]];
    const top = model.recommend({ userId: userIds[u], history, k: 10 + history.length })
      .filter((t) => !history.includes(t.id)).slice(0, 10);
    hits += top.some((t) => t.id === held) ? 1 : 0;
    users++;
  }
  assert.equal(users, r.users);
  // Near-ties may order differently between the two scoring paths (GEMM vs GEMV): a few users.
  assert.ok(Math.abs(hits / users - r.recall) <= 3 / users, `oracle ${hits / users} vs evaluate ${r.recall}`);
  assert.ok(Math.abs(hits / users - trainer.history[1].validationRecall) <= 3 / users);
  assert.throws(() => rs.evaluate(shop, { model: 'knn' }), { name: 'RangeError', message: /evaluate: unknown model 'knn'/ });
  assert.throws(() => rs.evaluate(shop, { model: 42 }), { name: 'TypeError', message: /model must be a Model, a baseline name or 'pipeline'/ });
  assert.throws(() => rs.evaluate(shop, { model: 'mf', params: { factor: 8 } }), { name: 'TypeError', message: "evaluate: unknown parameter 'factor' for model mf" });
  assert.throws(() => rs.evaluate(shop, { split: 'temporal' }), { name: 'RangeError', message: "evaluation request: split 'temporal' needs validation_start and test_start" });
  [trainer, model, shop].forEach((x) => x.dispose());
});

test('the pipeline evaluation scores exactly the lists the Recommender serves', async () => {
  const shop = rs.generateShop({ users: 400, items: 300, interactions: 8000 });
  const trainer = rs.createTrainer(shop, { epochs: 1, patience: 0 });
  await trainer.train();
  const model = trainer.model;
  model.fitRanker(shop);
  // A temporal split; the fit part (everything before the test start) as a dataset of its own.
  const { interactions: x } = shop.arrays();
  const times = Float64Array.from(x.timestamp).sort();
  const testStart = times[Math.floor(times.length * 0.8)];
  const validationStart = times[Math.floor(times.length * 0.6)];
  const lines = shop.interactionsCsv().trimEnd().split('\n');
  const tsColumn = lines[0].split(',').indexOf('timestamp');
  const fitCsv = [lines[0], ...lines.slice(1).filter((l) => Number(l.split(',')[tsColumn]) < testStart)].join('\n');
  const fit = rs.loadDataset({ catalog: shop.catalogCsv(), interactions: fitCsv });
  const rec = rs.createRecommender({ model, dataset: fit, cacheCapacity: 0 });
  assert.ok(model.hasRanker);
  const itemIds = shop.items({ limit: shop.numItems }).map((it) => it.id);
  const userIds = shop.userIds({ limit: shop.numUsers });
  const had = new Map();
  for (let i = 0; i < x.user.length; i++) {
    if (x.timestamp[i] >= testStart) continue;
    const u = userIds[x.user[i]];
    had.set(u, [...(had.get(u) ?? []), itemIds[x.item[i]]]);
  }
  const split = { split: 'temporal', validationStart, testStart, maxUsers: 60, lists: true };
  for (const excludeSeen of [true, false]) {
    const r = rs.evaluate(shop, { model: 'pipeline', pipeline: { model }, excludeSeen, ...split });
    assert.equal(r.model, 'pipeline default + ranker');
    assert.equal(Object.keys(r.lists).length, r.users);
    assert.ok(r.users >= 30, `${r.users} users`);
    for (const [userId, items] of Object.entries(r.lists)) {
      const filters = excludeSeen ? { exclude: [...new Set(had.get(userId))] } : undefined;
      const served = rec.recommend({ userId, k: 10, filters }).map((t) => t.id);
      assert.deepEqual(items, served, `user ${userId}, excludeSeen ${excludeSeen}`);
    }
  }
  // Each source's recall of the held-out items, and the scene's sources together.
  const s = rs.evaluate(shop, { model: 'pipeline', pipeline: { model, useRanker: false }, sourceRecall: 100, ...split });
  assert.equal(s.model, 'pipeline default');
  assert.deepEqual(Object.keys(s.source_recall).sort(), ['all', 'complementary', 'personal', 'popular', 'repeat', 'similar', 'trending']);
  // The default scene takes 100 personal candidates and nothing else.
  assert.equal(s.source_recall.all, s.source_recall.personal);
  assert.ok(s.source_recall.personal > 0 && s.source_recall.personal <= 1);
  assert.throws(() => rs.evaluate(shop, { model: 'pipeline' }), { name: 'TypeError', message: /model 'pipeline' needs options.pipeline/ });
  assert.throws(() => rs.evaluate(shop, { model: 'pipeline', pipeline: { model, scene: 'attic' }, ...split }),
    { message: /unknown scene 'attic'/ });
  assert.throws(() => rs.evaluate(shop, { model: 'pipeline', pipeline: { model }, protocol: 'sampled' }),
    { message: /serves lists, not scores/ });
  assert.throws(() => rs.evaluate(shop, { model: 'popularity', sourceRecall: 10 }), { message: /source_quota needs model 'pipeline'/ });
  // A candidate ranker fitted on the fit logs' last 30 days, then serving the scene.
  const mix = { scenes: { mix: { page: 'default', sources: [{ source: 'personal', quota: 30 }, { source: 'neighbours', quota: 30 }], rank: true, diversity: 0 } } };
  const cr = rs.evaluate(shop, { model: 'pipeline', pipeline: { model, useRanker: false, scene: 'mix', strategy: mix, candidateRanker: { epochs: 2 } }, ...split });
  assert.equal(cr.model, 'pipeline mix + candidate ranker');
  assert.equal(Object.keys(cr.lists).length, cr.users);
  assert.throws(() => rs.evaluate(shop, { model: 'pipeline', pipeline: { model, featuresModel: model }, ...split }),
    { name: 'TypeError', message: 'pipeline.featuresModel needs pipeline.candidateRanker' });
  assert.throws(() => rs.evaluate(shop, { model: 'pipeline', pipeline: { model, candidateRanker: { objective: 'psychic' } }, ...split }),
    { message: "candidate ranker: objective must be listwise or pointwise, got 'psychic'" });
  // A candidate ranker fitted here travels in the model files; the loaded model serves with it (its
  // scene and strategy the defaults), and the pipeline evaluation scores exactly those lists.
  assert.equal(model.hasCandidateRanker, false);
  const fitted = model.fitCandidateRanker(fit, { scene: 'mix', strategy: mix, config: { epochs: 2, seed: 5 } });
  assert.ok(fitted.positives > 0 && fitted.examples > fitted.positives && fitted.users > 0, JSON.stringify(fitted));
  assert.equal(fitted.epochLosses.length, 2);
  const before = model.candidateRanker;
  assert.throws(() => model.fitCandidateRanker(fit, { scene: 'attic', strategy: mix }), { message: "candidate ranker: unknown scene 'attic'" });
  assert.throws(() => model.fitCandidateRanker(fit, { scene: 'mix', strategy: mix, config: { epochs: 0 } }),
    { message: "candidate ranker: 'epochs' must be an integer >= 1, got 0" });
  assert.deepEqual(model.candidateRanker, before, 'a failed fit leaves the candidate ranker as it was');
  const loaded = await rs.loadModel(model.toFiles());
  assert.ok(loaded.hasCandidateRanker && loaded.hasRanker);
  assert.deepEqual(loaded.candidateRanker, before);
  assert.equal(loaded.candidateRanker.scene, 'mix');
  assert.equal(loaded.candidateRanker.fit.examples, fitted.examples);
  assert.ok(loaded.candidateRanker.features.includes('ease_reciprocal_rank'));
  const served = rs.createRecommender({ model: loaded, dataset: fit, cacheCapacity: 0, useRanker: false });
  assert.equal(served.defaultScene, 'mix');
  const e = rs.evaluate(shop, { model: 'pipeline', pipeline: { model: loaded, useRanker: false }, ...split });
  assert.equal(e.model, 'pipeline mix + candidate ranker');
  let changed = 0;
  const plain = rs.createRecommender({ model: loaded, dataset: fit, cacheCapacity: 0, useRanker: false, useCandidateRanker: false, strategy: mix });
  assert.equal(plain.defaultScene, 'default');
  for (const [userId, items] of Object.entries(e.lists)) {
    const exclude = [...new Set(had.get(userId))];
    assert.deepEqual(items, served.recommend({ userId, k: 10, filters: { exclude } }).map((t) => t.id), `user ${userId}`);
    const without = plain.recommend({ userId, scene: 'mix', k: 10, filters: { exclude } }).map((t) => t.id);
    changed += JSON.stringify(without) !== JSON.stringify(items);
  }
  assert.ok(changed > 0, 'the candidate ranker changes some lists');
  const off = rs.evaluate(shop, { model: 'pipeline', pipeline: { model: loaded, useRanker: false, useCandidateRanker: false }, ...split });
  assert.equal(off.model, 'pipeline default');
  // The Recommender reloads a model with its candidate ranker (or without one).
  served.reload(model);
  assert.equal(served.recommend({ userId: Object.keys(e.lists)[0], k: 3 }).length, 3);
  [served, plain, loaded].forEach((o) => o.dispose());
  const ease = rs.evaluate(shop, { model: 'ease', params: { lambda: 50 } });
  const pop = rs.evaluate(shop, { model: 'popularity' });
  assert.ok(ease.ndcg > pop.ndcg, `EASE ${ease.ndcg} vs popularity ${pop.ndcg}`);
  assert.throws(() => rs.evaluate(shop, { model: 'ease', params: { lambda: -1 } }), { message: 'EASE: lambda must be > 0, got -1' });
  const repeat = rs.evaluate(shop, { model: 'personal-frequency', excludeSeen: false });
  assert.equal(repeat.model, 'personal-frequency');
  [rec, fit, trainer, model, shop].forEach((o) => o.dispose());
});
