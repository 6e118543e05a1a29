// Handles across engines, Workers and dispose(): each createRecsys() (and each Worker) owns its
// own wasm memory, so a handle used anywhere but its own engine is a clear Error, never a wrong
// pointer; a disposed handle is a clear Error in every method and as any argument.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { createRecsys, Catalog, Dataset, Model, Trainer, Session, Recommender, VectorIndex, Experiment } from 'recsys-wasm';

const a = await createRecsys();
const b = await createRecsys();

async function trained(rs, seed = 1) {
  const dataset = rs.generateShop({ users: 200, items: 120, interactions: 2000, seed });
  const trainer = rs.createTrainer(dataset, { epochs: 1, patience: 0, seed });
  await trainer.train();
  const model = trainer.model;
  trainer.dispose();
  return { dataset, model };
}
const A = await trained(a);
const B = await trained(b);

const disposed = { name: 'Error', kind: 'state' };

test('a handle from another engine is refused by name, and nothing changes', async () => {
  const other = { ...disposed, message: /^(model|dataset|session|pipeline\.model): the (Model|Dataset|Session) belongs to another engine/ };
  assert.throws(() => b.createRecommender({ model: A.model, dataset: B.dataset }), other);
  assert.throws(() => b.createRecommender({ model: B.model, dataset: A.dataset }), other);
  assert.throws(() => b.createTrainer(A.dataset, { epochs: 1 }), other);
  assert.throws(() => b.evaluate(A.dataset, { model: 'popularity' }), other);
  assert.throws(() => b.evaluate(B.dataset, { model: A.model }), other);
  assert.throws(() => b.evaluate(B.dataset, { model: 'pipeline', pipeline: { model: A.model } }), other);
  assert.throws(() => b.createExperiment({ model: A.model, dataset: B.dataset }), other);
  assert.throws(() => B.model.fitRanker(A.dataset), other);
  const recA = a.createRecommender({ model: A.model, dataset: A.dataset });
  const recB = b.createRecommender({ model: B.model, dataset: B.dataset });
  const before = recB.recommend({ k: 5 });
  const sessionA = recA.createSession();
  assert.throws(() => recB.recommend({ session: sessionA }), other);
  assert.throws(() => recB.reload(A.model), other);
  assert.deepEqual(recB.recommend({ k: 5 }), before);
  // The same model, loaded on the other engine from its files, serves the same lists.
  const copy = await b.loadModel(A.model.toFiles());
  assert.equal(copy.checksum, A.model.checksum);
  assert.deepEqual(copy.recommend({ userId: 'user_3', k: 5 }), A.model.recommend({ userId: 'user_3', k: 5 }));
  for (const h of [copy, sessionA, recA, recB]) h.dispose();
});

test('a disposed handle is a clear Error in every method and getter', () => {
  const recsys = a;
  const ds = recsys.generateShop({ users: 50, items: 40, interactions: 400, seed: 3 });
  const trainer = recsys.createTrainer(ds, { epochs: 1 });
  const model = trainer.model;
  const rec = recsys.createRecommender({ model, dataset: ds });
  const session = rec.createSession();
  const catalog = recsys.loadCatalog('id,title,category,brand,price\na,Mug,Home,Acme,3\n');
  const index = recsys.createIndex().build(new Float32Array([1, 0, 0, 1]), 2, 2);
  const experiment = recsys.createExperiment({ model, dataset: ds, config: { sessions: 20 } });
  // Arguments that would be valid on a live handle, so that only the disposal can fail.
  const args = {
    indexOf: ['a'], track: [{ itemId: 'item_1', event: 'view' }], build: [new Float32Array([1, 0]), 1, 2],
    search: [new Float32Array([1, 0])], recommend: [{}], step: [1], reload: [model], fitRanker: [ds],
    fitCandidateRanker: [ds], createSession: [{}], items: [{}], userIds: [{}], toFiles: [{}],
  };
  const handles = [[catalog, Catalog], [ds, Dataset], [model, Model], [trainer, Trainer], [session, Session],
    [rec, Recommender], [index, VectorIndex], [experiment, Experiment]];
  let checked = 0;
  // The dependents first (a session needs its recommender, a trainer its dataset).
  for (const [h, Cls] of [...handles].reverse()) {
    h.dispose();
    assert.equal(h.disposed, true);
    for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(Cls.prototype))) {
      if (['constructor', 'dispose', 'disposed', '_h', '_in'].includes(name) || name.startsWith('_')) continue;
      if (['run', 'train'].includes(name)) continue;  // async: checked below
      const call = d.get ? () => h[name] : () => h[name](...(args[name] ?? []));
      assert.throws(call, { ...disposed, message: `${Cls.name} has been disposed` }, `${Cls.name}.${name}`);
      checked++;
    }
  }
  assert.ok(checked >= 30, `${checked} members checked`);
  // As an argument.
  const live = recsys.generateShop({ users: 50, items: 40, interactions: 400, seed: 3 });
  assert.throws(() => recsys.createRecommender({ model, dataset: live }), { ...disposed, message: 'model: the Model has been disposed' });
  assert.throws(() => recsys.createTrainer(ds), { ...disposed, message: 'dataset: the Dataset has been disposed' });
  live.dispose();
});

test('async methods of a disposed handle reject with the same Error', async () => {
  const ds = a.generateShop({ users: 50, items: 40, interactions: 400, seed: 4 });
  const trainer = a.createTrainer(ds, { epochs: 1 });
  const model = trainer.model;
  const experiment = a.createExperiment({ model, dataset: ds, config: { sessions: 20 } });
  trainer.dispose();
  experiment.dispose();
  await assert.rejects(trainer.train(), { ...disposed, message: 'Trainer has been disposed' });
  await assert.rejects(experiment.run(), { ...disposed, message: 'Experiment has been disposed' });
  model.dispose();
  ds.dispose();
});

test('a Worker never shares a handle: a posted one arrives as a plain object, which no call accepts', async () => {
  // The worker has its own engine; it trains there while this thread keeps serving, and sends
  // the model back the only way that works: its files.
  const worker = new Worker(`
    const { parentPort } = require('node:worker_threads');
    parentPort.once('message', async (posted) => {
      const { createRecsys } = await import('recsys-wasm');
      const rs = await createRecsys();
      const dataset = rs.generateShop({ users: 200, items: 120, interactions: 2000, seed: 1 });
      let refused = null;
      try { rs.createRecommender({ model: posted.model, dataset }); } catch (e) { refused = { name: e.name, message: e.message }; }
      const trainer = rs.createTrainer(dataset, { epochs: 1, patience: 0, seed: 1 });
      await trainer.train();
      const files = trainer.model.toFiles();
      parentPort.postMessage({ refused, postedKeys: Object.keys(posted.model), files, checksum: trainer.model.checksum }, [files.weights.buffer]);
    });`, { eval: true });
  const reply = new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  // A Dataset holds its engine, which cannot be cloned at all; a Model arrives without its handle.
  assert.throws(() => worker.postMessage({ dataset: A.dataset }), { name: 'DataCloneError' });
  worker.postMessage({ model: A.model });
  const rec = a.createRecommender({ model: A.model, dataset: A.dataset });
  const served = rec.recommend({ userId: 'user_2', k: 5 });  // the main thread serves meanwhile
  const { refused, postedKeys, files, checksum } = await reply;
  await worker.terminate();
  assert.deepEqual(postedKeys, []);
  assert.deepEqual(refused, { name: 'TypeError', message: 'model must be a Model, got an object' });
  // Same seed, same data, another engine in another thread: the same model.
  const back = await a.loadModel(files);
  assert.equal(back.checksum, checksum);
  assert.equal(back.checksum, A.model.checksum);
  assert.deepEqual(rec.recommend({ userId: 'user_2', k: 5 }), served);
  back.dispose();
  rec.dispose();
});
