// On-device personalisation through the JS API: session.personalise() fine-tunes the visitor's
// adapter (the model and the index stay as they were), and a visit saved with session.toJSON()
// comes back with recommender.restoreSession() — refused, changing nothing, for another model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecsys } from 'recsys-wasm';

const rs = await createRecsys();
const shop = rs.generateShop({ seed: 5, users: 400, items: 200, interactions: 5000 });
const train = (seed) => {
  const t = rs.createTrainer(shop, { preset: 'default', epochs: 1, patience: 0, config: { seed } });
  while (!t.done) t.step(200);
  return t.model;
};
const model = train(1);
const rec = rs.createRecommender({ model, dataset: shop });
const ids = (list) => list.map((r) => r.id);

test('session.personalise lowers its loss, changes the next list, and serves the same list after a save and a restore', () => {
  const s = rec.createSession();
  for (const itemId of ['item_3', 'item_40', 'item_41', 'item_150', 'item_7']) s.track({ itemId, event: 'view', timestamp: 1000 });
  const checksum = model.checksum;
  const before = ids(rec.recommend({ session: s, k: 10 }));
  assert.equal(s.adapter, null);
  const { losses } = s.personalise({ steps: 30, learningRate: 0.05 });
  assert.equal(losses.length, 31);
  assert.ok(losses.at(-1) < losses[0], `loss ${losses[0]} -> ${losses.at(-1)}`);
  assert.ok(s.adapter instanceof Float32Array && s.adapter.length === 64);
  // The Worker's path (the model alone, the same items) fits the same adapter.
  const w = model.personalise({ history: ['item_3', 'item_40', 'item_41', 'item_150', 'item_7'], steps: 30, learningRate: 0.05 });
  assert.deepEqual(Array.from(w.adapter), Array.from(s.adapter));
  assert.deepEqual(w.losses, losses);
  assert.deepEqual(rec.userHistory('nobody'), []);
  assert.ok(rec.userHistory('user_1').length > 0);
  const after = ids(rec.recommend({ session: s, k: 10 }));
  assert.notDeepEqual(after, before);
  assert.equal(model.checksum, checksum);  // the model is untouched
  // Saved as plain JSON and restored: the same events, adapter and list.
  const state = JSON.parse(JSON.stringify(s.toJSON()));
  assert.equal(state.schema, 1);
  assert.equal(state.model, rec.modelChecksum);
  assert.deepEqual(state.events.map((e) => e.itemId), ['item_3', 'item_40', 'item_41', 'item_150', 'item_7']);
  const back = rec.restoreSession(state);
  assert.deepEqual(Array.from(back.adapter), Array.from(s.adapter));
  assert.deepEqual(ids(rec.recommend({ session: back, k: 10 })), after);
  // Forgetting: back to the anonymous list.
  back.clear();
  assert.equal(back.adapter, null);
  assert.equal(back.size, 0);
  assert.deepEqual(ids(rec.recommend({ session: back, k: 10 })), ids(rec.recommend({ k: 10 })));
  s.dispose();
  back.dispose();
});

test('bad options and stale or malformed states are clear errors that change nothing', () => {
  const s = rec.createSession();
  assert.throws(() => s.personalise(), { message: /no events/ });
  s.track({ itemId: 'item_3', event: 'click', timestamp: 1000 });
  assert.throws(() => s.personalise({ steps: 0 }), { message: /steps must be an integer in \[1, 10000\], got 0/ });
  assert.throws(() => s.personalise({ learningRate: 'fast' }), { name: 'TypeError', message: /learningRate/ });
  assert.equal(s.adapter, null);
  assert.throws(() => s.setAdapter('x'), { name: 'TypeError', message: /adapter must be an array/ });
  assert.throws(() => s.setAdapter([1, NaN]), { message: /not a finite number/ });
  const state = s.toJSON();
  // Another model (other weights, the same items): refused by checksum.
  const other = rs.createRecommender({ model: train(2), dataset: shop });
  assert.throws(() => other.restoreSession(state), { message: /stale state: it was saved for model [0-9a-f]+, this recommender serves model [0-9a-f]+/ });
  assert.throws(() => rec.restoreSession({ ...state, schema: 2 }), { name: 'RangeError', message: /state\.schema must be 1, got number 2/ });
  assert.throws(() => rec.restoreSession({ ...state, events: [{ itemId: 'item_none', event: 'view' }] }), { message: /unknown item 'item_none'/ });
  assert.throws(() => rec.restoreSession({ ...state, adapter: [0.1, 0.2] }), { message: /adapter has 2 values but the model's vectors have 64/ });
  assert.throws(() => rec.restoreSession(null), { name: 'TypeError' });
  other.dispose();
  s.dispose();
});

test('model.personalise keeps the item vectors between calls and recomputes them after training', async () => {
  const t = rs.createTrainer(shop, { preset: 'default', epochs: 2, patience: 0, config: { seed: 3 } });
  t.step(20);
  const m = t.model;
  const q = { history: ['item_3', 'item_40', 'item_41'], steps: 5, learningRate: 0.05 };
  const first = m.personalise(q);
  assert.deepEqual(m.personalise(q), first);  // the same from the kept vectors
  t.step(20);  // the weights move: the vectors must be recomputed
  const after = m.personalise(q);
  assert.notDeepEqual(after.losses, first.losses);
  const copy = await rs.loadModel(m.toFiles());
  assert.deepEqual(copy.personalise(q), after);  // as a model that never had them kept
  copy.dispose();
  t.dispose();
});
