// One validation point: the C++ core classifies every error (type, range, not_found, state,
// format); the bindings map the kind to the JS class once (TypeError, RangeError, Error) and set
// error.kind. The wrapper only checks JS types before conversion and disposed handles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecsys } from 'recsys-wasm';

const rs = await createRecsys();
const shop = rs.generateShop({ users: 300, items: 200, interactions: 3000 });
const trainer = rs.createTrainer(shop, { epochs: 1, patience: 0 });
await trainer.train();
const model = trainer.model;
trainer.dispose();
const rec = rs.createRecommender({ model, dataset: shop });

// Runs f, expects it to throw, returns the error.
function caught(f) {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

function expectKind(f, Cls, kind, message) {
  const e = caught(f);
  assert.equal(e.constructor, Cls, `${e.constructor.name}: ${e.message}`);
  assert.equal(e.kind, kind, e.message);
  assert.match(e.message, message);
  assert.ok(rs.enums.errorKinds.includes(e.kind));
  return e;
}

test('type: a value of the wrong type is a TypeError, from JS or from C++', () => {
  expectKind(() => rec.recommend({ k: '10' }), TypeError, 'type', /^k must be a number, got "10"$/);
  expectKind(() => rec.recommend({ filters: { colour: ['red'] } }), TypeError, 'type', /filters\.colour is not a filter/);
  // Found by the core, in a config object.
  expectKind(() => rs.createRecommender({ model, dataset: shop, strategy: { boosts: [{ factor: 'x' }] } }),
    TypeError, 'type', /strategy: boost: 'factor' must be a number, got "x"/);
  expectKind(() => rs.createIndex({ nprob: 3 }), TypeError, 'type', /index options: unknown key 'nprob'/);
  expectKind(() => rs.createRecommender({ model, dataset: shop, strategy: { scenes: { x: 1 } } }), TypeError, 'type', /scene 'x' must be an object/);
  const other = rs.createRecommender({ model, dataset: shop });
  const s = other.createSession();
  expectKind(() => rec.recommend({ session: s }), TypeError, 'type', /the session was created by another Recommender/);
  s.dispose();
  other.dispose();
});

test('range: a value outside what is allowed is a RangeError from the core', () => {
  expectKind(() => rec.recommend({ k: 0 }), RangeError, 'range', /^recommend: k must be an integer in \[1, 1000\], got 0$/);
  expectKind(() => rec.recommend({ k: 1.5 }), RangeError, 'range', /^k must be an integer, got 1.5$/);  // before Embind truncates it
  expectKind(() => rec.recommend({ diversity: 1.5 }), RangeError, 'range', /diversity must be in \[0, 1\], got 1.5/);
  expectKind(() => rec.recommend({ scene: 'checkout' }), RangeError, 'range', /unknown scene 'checkout' \(known: cart_page, default, home_page, product_page\)/);
  expectKind(() => rs.createIndex({ kind: 'hnsw' }), RangeError, 'range', /'kind' must be exact, int8 or ivf, got 'hnsw'/);
  expectKind(() => rs.createRecommender({ model, dataset: shop, index: 'hnsw' }), RangeError, 'range', /'kind' must be exact, int8 or ivf, got 'hnsw'/);
  const s = rec.createSession();
  expectKind(() => s.track({ itemId: 'item_1', event: 'like' }), RangeError, 'range', /track: unknown event 'like'/);
  expectKind(() => s.track({ itemId: 'item_1', event: 'view', timestamp: 1e20 }), RangeError, 'range', /timestamp must be seconds within ±2\^53, got 100000000000000000000/);
  expectKind(() => rec.recommend({ k: 2 ** 31 }), RangeError, 'range', /^k must be a 32-bit integer, got 2147483648$/);
  s.track({ itemId: 'item_1', event: 'view', timestamp: 100.75 });  // whole seconds: floored
  expectKind(() => s.track({ itemId: 'item_2', event: 'view', timestamp: 99.5 }), RangeError, 'range', /before the previous event/);
  s.track({ itemId: 'item_2', event: 'view', timestamp: 100.2 });  // the same second: accepted
  assert.equal(s.size, 2);
  s.dispose();
});

test('not_found: an id the data does not hold is an Error of kind not_found', () => {
  expectKind(() => rec.recommend({ userId: 'nobody' }), Error, 'not_found', /^recommend: unknown user 'nobody'$/);
  expectKind(() => rec.recommend({ itemId: 'item_0' }), Error, 'not_found', /unknown item 'item_0'/);
  expectKind(() => rec.createSession({ userId: 'nobody' }), Error, 'not_found', /session: unknown user 'nobody'/);
  expectKind(() => model.recommend({ history: ['zzz'] }), Error, 'not_found', /unknown item 'zzz' in history/);
});

test('state: a call the object\'s state does not allow is an Error of kind state', () => {
  const index = rs.createIndex();
  expectKind(() => index.search(new Float32Array(8)), Error, 'state', /^exact index: search before build$/);
  index.dispose();
  expectKind(() => index.size, Error, 'state', /^VectorIndex has been disposed$/);
});

test('format: text that does not parse is an Error of kind format', () => {
  expectKind(() => rs.loadCatalog('id,title,category,brand,price\n"a,b'), Error, 'format', /unterminated quoted field/);
  expectKind(() => rs.loadCatalog('{"items": ['), Error, 'format', /invalid JSON/);
  expectKind(() => rs.loadDataset({ catalog: 'id,title,category,brand,price\na,A,c,b,1\n', interactions: 'user,item,event,timestamp\nu1,a,click,yesterday\n' }),
    Error, 'format', /field 'timestamp'/);
});

test('a failed call changes nothing', () => {
  const s = rec.createSession({ userId: 'user_1' });
  s.track({ itemId: 'item_2', event: 'view', timestamp: 100 });
  const before = rec.recommend({ session: s });
  const stats = rec.stats();
  for (const bad of [{ k: 0 }, { scene: 'x' }, { userId: 'nobody' }, { filters: { exclude: ['nope'] } }]) {
    assert.throws(() => rec.recommend({ session: s, ...bad }));
  }
  assert.throws(() => s.track({ itemId: 'item_3', event: 'view', timestamp: 50 }), { name: 'RangeError', message: /is before the previous event/ });
  assert.equal(s.size, 1);
  assert.deepEqual(rec.stats(), stats);
  assert.deepEqual(rec.recommend({ session: s }), before);
  s.dispose();
});
