// The request path through the JS API: scenes, sessions, filters, errors, the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecsys, Recommender, Session } from 'recsys-wasm';

const rs = await createRecsys();
const shop = rs.generateShop({ users: 2000, items: 1000, interactions: 25000 });
const trainer = rs.createTrainer(shop, { epochs: 2, patience: 0 });
await trainer.train();
const model = trainer.model;
trainer.dispose();

test('recommendations are plain objects with item fields and explanations', () => {
  const rec = rs.createRecommender({ model, dataset: shop });
  assert.ok(rec instanceof Recommender);
  const r = rec.recommend({ userId: 'user_5', k: 5 });
  assert.equal(r.length, 5);
  assert.deepEqual(Object.keys(r[0]).sort(), ['brand', 'category', 'explanation', 'id', 'price', 'rank', 'score', 'title']);
  assert.equal(r[0].rank, 1);
  assert.ok(r[0].explanation.source.includes('personal'));
  for (const x of r) assert.ok(Math.abs(x.explanation.finalScore - (x.explanation.relevance + x.explanation.diversityAdjustment)) < 1e-5);
  const home = rec.recommend({ scene: 'home_page', k: 5 });
  assert.ok(home.every((x) => x.explanation.source === 'trending'));
  rec.dispose();
});

test('session events change the next list at once, and the cache follows', () => {
  const rec = rs.createRecommender({ model, dataset: shop });
  const session = rec.createSession();
  assert.ok(session instanceof Session);
  const before = rec.recommend({ session, k: 10, diversity: 0 });
  // Five of the most bought items of a category absent from the first list.
  const all = shop.items({ limit: 1000 });
  const counts = new Array(all.length).fill(0);
  for (const i of shop.arrays().interactions.item) counts[i] += 1;
  const category = all.find((it) => !before.some((b) => b.category === it.category)).category;
  const items = all.map((it, i) => ({ ...it, n: counts[i] })).filter((it) => it.category === category)
    .sort((a, b) => b.n - a.n).slice(0, 5);
  for (const [i, it] of items.entries()) session.track({ itemId: it.id, event: 'click', timestamp: 1000 + i });
  assert.equal(session.size, 5);
  const after = rec.recommend({ session, k: 10, diversity: 0 });
  assert.ok(after.filter((x) => x.category === category).length >= 3);
  rec.recommend({ session, k: 10, diversity: 0 });
  assert.equal(rec.stats().cacheHits, 1);
  // Cart: complementary items, not the carted one.
  session.track({ itemId: items[0].id, event: 'add_to_cart', timestamp: 2000 });
  const cart = rec.recommend({ session, scene: 'cart_page', k: 5 });
  assert.ok(cart.every((x) => x.id !== items[0].id));
  session.dispose();
  rec.dispose();
});

test('prepare() computes ahead what the cart and product pages read: the same lists either way', () => {
  const lazy = rs.createRecommender({ model, dataset: shop, cacheCapacity: 0 });
  const ready = rs.createRecommender({ model, dataset: shop, cacheCapacity: 0 });
  assert.equal(ready.prepare(), undefined);
  ready.prepare();  // again: nothing changes
  for (const itemId of ['item_3', 'item_40', 'item_77']) {
    const list = (rec) => {
      const session = rec.createSession();
      session.track({ itemId, event: 'add_to_cart', timestamp: 10 });
      const out = ['cart_page', 'product_page'].map((scene) => rec.recommend({ session, scene, k: 8 }).map((x) => x.id));
      session.dispose();
      return out;
    };
    assert.deepEqual(list(lazy), list(ready));
  }
  lazy.dispose();
  ready.dispose();
  assert.throws(() => ready.prepare(), { kind: 'state' });
});

test('filters, and errors that name the argument and change nothing', () => {
  const rec = rs.createRecommender({ model, dataset: shop, index: 'int8' });
  const cats = [...new Set(shop.items({ limit: 50 }).map((x) => x.category))].slice(0, 2);
  const r = rec.recommend({ userId: 'user_1', k: 20, filters: { categories: cats, priceMin: 20, priceMax: 80 } });
  assert.equal(r.length, 20);
  for (const x of r) {
    assert.ok(cats.includes(x.category));
    assert.ok(x.price >= 20 && x.price <= 80);
  }
  const ok = rec.recommend({ userId: 'user_1' });
  assert.throws(() => rec.recommend({ k: 0 }), { name: 'RangeError', message: /k must be an integer in \[1, 1000\]/ });
  assert.throws(() => rec.recommend({ diversity: 2 }), { name: 'RangeError', message: /diversity must be in \[0, 1\]/ });
  assert.throws(() => rec.recommend({ filters: { colour: ['red'] } }), { name: 'TypeError', message: /filters.colour is not a filter/ });
  assert.throws(() => rec.recommend({ scene: 'checkout' }), { name: 'RangeError', message: /unknown scene 'checkout'/ });
  assert.throws(() => rec.recommend({ userId: 'nobody' }), { name: 'Error', message: "recommend: unknown user 'nobody'" });
  assert.throws(() => rec.recommend({ filters: { categories: ['Spaceships'] } }), { message: /unknown category 'Spaceships'/ });
  assert.throws(() => rec.createSession({ userId: 'nobody' }), { message: "session: unknown user 'nobody'" });
  const s = rec.createSession();
  s.track({ itemId: 'item_3', event: 'view', timestamp: 100 });
  assert.throws(() => s.track({ itemId: 'item_4', event: 'like' }), { name: 'RangeError', message: /track: unknown event 'like' \(expected view, click, add_to_cart or purchase\)/ });
  assert.throws(() => s.track({ itemId: 'zzz', event: 'view' }), { message: "track: unknown item 'zzz'" });
  assert.throws(() => s.track({ itemId: 'item_4', event: 'view', timestamp: 50 }), { message: /is before the previous event/ });
  assert.equal(s.size, 1);
  const other = rs.createRecommender({ model, dataset: shop });
  assert.throws(() => other.recommend({ session: s }), { name: 'TypeError', message: 'recommend: the session was created by another Recommender' });
  other.dispose();
  assert.throws(() => rs.createRecommender({ model, dataset: shop, strategy: { scenes: { default: { sources: [{ source: 'personal', quota: -1 }] } } } }),
    { name: 'RangeError', message: "strategy: scene 'default': 'quota' must be an integer >= 0, got -1" });
  assert.throws(() => rs.createRecommender({ model, dataset: shop, cacheCapacity: 5, strategy: { boosts: [{ factor: 'x' }] } }),
    { name: 'TypeError', message: 'strategy: boost: \'factor\' must be a number, got "x"' });
  assert.equal(s.size, 1);
  assert.deepEqual(rec.recommend({ userId: 'user_1' }), ok);
  assert.throws(() => rs.createRecommender({ model, dataset: shop, index: 'hnsw' }), { name: 'RangeError', message: /'kind' must be exact, int8 or ivf, got 'hnsw'/ });
  assert.throws(() => rs.createRecommender({ model, dataset: shop, strategy: { objective: 'fame' } }), { message: /'objective' must be clicks, purchases or revenue/ });
  s.dispose();
  rec.dispose();
});

test('a list read while wasm memory grows keeps every field', () => {
  // The first list of a recommender fetches each item's display fields from C++; make that grow
  // the wasm heap (which detaches every view of it) in the middle of reading the list.
  const rec = rs.createRecommender({ model, dataset: shop });
  const expected = rs.createRecommender({ model, dataset: shop });
  const want = expected.recommend({ userId: 'user_9', k: 10 });
  const h = rec._h;
  const fetch = h.itemRecord.bind(h);
  let grown = null;
  const before = rs.memoryUsage().heapBytes;
  h.itemRecord = (row) => {
    if (!grown) {
      const big = Math.ceil(before / 4 / 8) * 8;  // as many bytes as the whole heap: it must grow
      grown = rs.createIndex().build(new Float32Array(big), big / 8, 8);
    }
    return fetch(row);
  };
  const got = rec.recommend({ userId: 'user_9', k: 10 });
  assert.ok(rs.memoryUsage().heapBytes > before, 'the heap grew during the read');
  assert.deepEqual(got, want);
  grown.dispose();
  [rec, expected].forEach((x) => x.dispose());
});
