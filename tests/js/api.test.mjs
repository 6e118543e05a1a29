// The JS API in Node: results match the native CLI, errors are typed and name the argument,
// failed calls change nothing, dispose() frees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRecsys, Dataset } from 'recsys-wasm';

const rs = await createRecsys();
const root = new URL('../../', import.meta.url);

test('the default shop is the one the native CLI generates', () => {
  const native = JSON.parse(execFileSync(new URL('build/recsys', root).pathname, ['generate', '--json'], { encoding: 'utf8' }));
  const ds = rs.generateShop();
  assert.ok(ds instanceof Dataset);
  const s = ds.stats();
  delete native.config;
  assert.deepEqual(s, native);
  assert.equal(s.checksum, 'f67dee66175a1651');
  assert.equal(ds.numUsers, 10000);
  assert.equal(ds.numItems, 5000);
  assert.equal(ds.numInteractions, 100000);
  ds.dispose();
});

test('items are plain objects with the catalog fields', () => {
  const ds = rs.generateShop({ users: 20, items: 30, interactions: 100, categories: 3, brands: 2 });
  const items = ds.items({ offset: 28, limit: 5 });
  assert.equal(items.length, 2);
  assert.deepEqual(Object.keys(items[0]).sort(), ['brand', 'category', 'id', 'price', 'title']);
  assert.equal(items[0].id, 'item_29');
  assert.equal(typeof items[0].price, 'number');
  ds.dispose();
});

test('a dataset round-trips through CSV text', () => {
  const ds = rs.generateShop({ seed: 5, users: 200, items: 100, interactions: 1500 });
  const again = rs.loadDataset({ catalog: ds.catalogCsv(), interactions: ds.interactionsCsv() });
  const a = ds.stats();
  const b = again.stats();
  assert.equal(b.checksum, a.checksum);
  assert.equal(b.interactions, 1500);
  ds.dispose();
  again.dispose();
});

test('the committed Online Retail extract loads with the cleaned counts', () => {
  const items = readFileSync(new URL('data/online_retail/items.csv', root), 'utf8');
  const baskets = readFileSync(new URL('data/online_retail/baskets.csv', root), 'utf8');
  const ds = rs.loadOnlineRetail({ items, baskets });
  const s = ds.stats();
  assert.equal(s.users, 4334);
  assert.equal(s.items, 3659);
  assert.equal(s.interactions, 396337);
  assert.equal(s.purchases, 396337);
  ds.dispose();
});

test('wrong types and ranges are TypeError / RangeError naming the argument', () => {
  assert.throws(() => rs.generateShop(42), { name: 'TypeError', message: /config must be an object/ });
  assert.throws(() => rs.generateShop({ users: '10' }), { name: 'TypeError', message: /synthetic config: 'users' must be a number, got "10"/ });
  assert.throws(() => rs.generateShop({ items: 2.5 }), { name: 'RangeError', message: /synthetic config: 'items' must be an integer, got 2.5/ });
  assert.throws(() => rs.loadCatalog(5), { name: 'TypeError', message: /text must be a string/ });
  assert.throws(() => rs.loadCatalog('a', { format: 'xml' }), { name: 'RangeError', message: /format must be csv or json, got 'xml'/ });
  assert.throws(() => rs.loadDataset({ catalog: 'x' }), { name: 'TypeError', message: /interactions must be a string/ });
  const ds = rs.generateShop({ users: 10, items: 10, interactions: 30, categories: 2 });
  assert.throws(() => ds.items({ limit: -2 }), { name: 'RangeError', message: /catalog: limit must be >= 0 \(or -1 for all\), got -2/ });
  assert.equal(ds.items({ limit: -1 }).length, 10);
  assert.throws(() => ds.items({ limit: 0.5 }), { name: 'RangeError', message: /limit must be an integer, got 0.5/ });
  ds.dispose();
});

test('C++ errors arrive as Error with the C++ message, and change nothing', () => {
  const catalog = rs.loadCatalog('id,title,category,brand,price\na,A,c,b,1\nb,B,c,b,2\n');
  assert.throws(() => rs.loadCatalog('id,title,category,brand,price\na,A,c,b,1\na,B,c,b,2\n', { source: 'shop.csv' }),
    { name: 'Error', kind: 'format', message: "shop.csv:3: field 'id': duplicate item id (value 'a')" });
  assert.throws(() => rs.loadDataset({ catalog: catalog.toCsv(), interactions: 'user,item,event,timestamp\nu1,zz,click,2021-01-01\n' }),
    { name: 'Error', message: "interactions.csv:2: field 'item': item id not in the catalog (value 'zz')" });
  assert.throws(() => rs.generateShop({ userz: 1 }), { name: 'TypeError', message: "synthetic config: unknown key 'userz'" });
  assert.throws(() => rs.loadCatalog(''), { name: 'Error', message: 'catalog.csv: empty file' });
  // The catalog loaded before the failures is untouched and still works.
  assert.equal(catalog.size, 2);
  assert.equal(catalog.indexOf('b'), 1);
  assert.deepEqual(catalog.items().map((i) => i.id), ['a', 'b']);
  catalog.dispose();
});

test('dispose() frees, is idempotent, and later use is a clear error', () => {
  const ds = rs.generateShop({ users: 10, items: 10, interactions: 30, categories: 2 });
  assert.equal(ds.disposed, false);
  ds.dispose();
  ds.dispose();
  assert.equal(ds.disposed, true);
  assert.throws(() => ds.stats(), { name: 'Error', kind: 'state', message: 'Dataset has been disposed' });
});

test('many create / dispose cycles do not leak wasm memory', () => {
  // Warm up, then the heap must not keep growing: 200 shops of ~1,000 events each.
  for (let i = 0; i < 20; i++) rs.generateShop({ seed: i, users: 100, items: 100, interactions: 1000 }).dispose();
  const before = rs.memoryUsage().allocatedBytes;
  for (let i = 0; i < 200; i++) rs.generateShop({ seed: i, users: 100, items: 100, interactions: 1000 }).dispose();
  const after = rs.memoryUsage().allocatedBytes;
  assert.ok(after - before < 4096, `allocated bytes grew by ${after - before}`);
  // A held dataset is visible in the count, and dispose() gives it back.
  const held = rs.generateShop({ users: 1000, items: 500, interactions: 10000 });
  assert.ok(rs.memoryUsage().allocatedBytes - after > 100000);
  held.dispose();
  assert.ok(rs.memoryUsage().allocatedBytes - after < 4096);
});

test('memoryUsage() reports the heap, what is allocated and its high-water mark', () => {
  const a = rs.memoryUsage();
  assert.ok(a.peakBytes >= a.allocatedBytes && a.heapBytes >= a.peakBytes, JSON.stringify(a));
  // A dataset larger than any before raises the mark, and disposing it does not lower it.
  const big = rs.generateShop({ users: 4000, items: 2000, interactions: 200000 });
  const b = rs.memoryUsage();
  assert.ok(b.peakBytes >= b.allocatedBytes && b.allocatedBytes - a.allocatedBytes > 1e6, JSON.stringify(b));
  big.dispose();
  const c = rs.memoryUsage();
  assert.equal(c.peakBytes, b.peakBytes);
  assert.ok(c.allocatedBytes < b.allocatedBytes);
});
