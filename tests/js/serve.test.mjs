// The serving engine (createRecsys({ engine: 'serve' })): loads data and models and recommends
// exactly as the full engine does; what it leaves out is a clear error; it is the smaller download.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { createRecsys, Model } from 'recsys-wasm';
import { assertScoresLikeNative, goldenFiles } from './golden.mjs';

const full = await createRecsys();
const serve = await createRecsys({ engine: 'serve' });

test('the serving engine scores the golden model as the native build did', async () => {
  assert.equal(serve.engine, 'serve');
  assert.equal(full.engine, 'full');
  assert.equal(serve.version, full.version);
  const model = await Model.load(goldenFiles(), { recsys: serve });
  assertScoresLikeNative(model);
  model.dispose();
});

test('a model trained on the full engine serves the same lists, sessions included, on the serving engine', async () => {
  const shop = full.generateShop({ users: 600, items: 300, interactions: 8000 });
  const trainer = full.createTrainer(shop, { epochs: 1 });
  await trainer.train();
  const model = trainer.model;
  model.fitRanker(shop);
  const files = model.toFiles();
  const served = await serve.loadModel(files);
  assert.equal(served.hasRanker, true);
  const data = serve.loadDataset({ catalog: shop.catalogCsv(), interactions: shop.interactionsCsv() });
  const a = full.createRecommender({ model, dataset: shop });
  const b = serve.createRecommender({ model: served, dataset: data });
  const sa = a.createSession({ userId: 'user_3' });
  const sb = b.createSession({ userId: 'user_3' });
  for (const s of [sa, sb]) s.track({ itemId: 'item_5', event: 'view' }).track({ itemId: 'item_9', event: 'add_to_cart' });
  for (const scene of ['home_page', 'cart_page', 'product_page', 'default']) {
    assert.deepEqual(b.recommend({ session: sb, scene, k: 8, diversity: 0.4 }), a.recommend({ session: sa, scene, k: 8, diversity: 0.4 }));
  }
  [sa, sb, a, b, served, data, model, trainer, shop].forEach((x) => x.dispose());
});

test('what the serving engine leaves out is an Error that names the call, and changes nothing', async () => {
  const data = serve.loadDataset({ catalog: 'id,title,category,brand,price\na,A,C,B,1\nb,B,C,B,2\n', interactions: 'user,item,timestamp,event\nu,a,2021-01-01,click\nu,b,2021-01-02,purchase\n' });
  const before = serve.memoryUsage().allocatedBytes;
  for (const [what, call] of [
    ['generateShop()', () => serve.generateShop()],
    ['defaultShopConfig()', () => serve.defaultShopConfig()],
    ['createTrainer()', () => serve.createTrainer(data)],
    ['evaluate()', () => serve.evaluate(data)],
    ['loadOnlineRetailCsv()', () => serve.loadOnlineRetailCsv('x')],
  ]) {
    assert.throws(call, { name: 'Error', message: `${what} is not in the serving engine; create the full one with createRecsys() (engine: 'full')` });
  }
  const model = await serve.loadModel(goldenFiles());
  assert.throws(() => model.toFiles(), /Model\.toFiles\(\) is not in the serving engine/);
  assert.throws(() => model.fitRanker(data), /Model\.fitRanker\(\) is not in the serving engine/);
  assert.equal(model.recommend({ history: ['item_1'], k: 3 }).length, 3);
  model.dispose();
  assert.equal(data.numInteractions, 2);
  data.dispose();
  assert.ok(serve.memoryUsage().allocatedBytes <= before);
  await assert.rejects(createRecsys({ engine: 'tiny' }), { name: 'RangeError', message: `engine must be 'full' or 'serve', got "tiny"` });
});

test("a strategy with the 'ease' source, which fits a model at build, is the full engine's: a clear error here", async () => {
  const shop = full.generateShop({ users: 200, items: 120, interactions: 3000 });
  const trainer = full.createTrainer(shop, { epochs: 1 });
  await trainer.train();
  const model = trainer.model;
  const served = await serve.loadModel(model.toFiles());
  const data = serve.loadDataset({ catalog: shop.catalogCsv(), interactions: shop.interactionsCsv() });
  const strategy = { scenes: { default: { sources: [{ source: 'ease', quota: 20 }, { source: 'popular', quota: 20 }] } } };
  assert.throws(() => serve.createRecommender({ model: served, dataset: data, strategy }), {
    name: 'Error',
    message: "strategy: the 'ease' source is not in the serving engine (it fits EASE's item-item weights when the recommender is built); create the full one with createRecsys() (engine: 'full')",
  });
  // The same strategy on the full engine; and the serving engine without it.
  const a = full.createRecommender({ model, dataset: shop, strategy });
  const list = a.recommend({ userId: 'user_3', k: 10 });
  assert.equal(list.length, 10);
  assert.ok(list.some((r) => r.explanation.source.split('+').includes('ease')), JSON.stringify(list.map((r) => r.explanation.source)));
  const b = serve.createRecommender({ model: served, dataset: data });
  assert.equal(b.recommend({ userId: 'user_3', k: 10 }).length, 10);
  [a, b, served, data, model, trainer, shop].forEach((x) => x.dispose());
});

test('the serving engine is the smaller download', () => {
  const size = (f) => statSync(new URL(`../../build-wasm/dist/${f}`, import.meta.url)).size;
  assert.ok(size('recsys-serve.wasm') < 0.7 * size('recsys.wasm'), `${size('recsys-serve.wasm')} vs ${size('recsys.wasm')}`);
});

test('wasmModule: an engine compiled ahead (as the Recommend page does) serves the same lists; a wrong one is a clear error', async () => {
  const dist = new URL('../../build-wasm/dist/', import.meta.url);
  const bytes = (name) => readFileSync(new URL(name, dist));
  // A promise of a module, as WebAssembly.compileStreaming gives, and a module.
  const early = await createRecsys({ engine: 'serve', wasmModule: WebAssembly.compile(bytes('recsys-serve.wasm')) });
  const ready = await createRecsys({ engine: 'serve', wasmModule: await WebAssembly.compile(bytes('recsys-serve.wasm')) });
  for (const rs of [early, ready]) {
    assert.equal(rs.engine, 'serve');
    const model = await Model.load(goldenFiles(), { recsys: rs });
    assertScoresLikeNative(model);
    model.dispose();
  }
  // The full engine's .wasm does not link with the serving engine's glue.
  await assert.rejects(createRecsys({ engine: 'serve', wasmModule: WebAssembly.compile(bytes('recsys.wasm')) }),
    (e) => e.kind === 'format' && /^wasmModule: cannot start the serve engine from it: /.test(e.message));
  await assert.rejects(createRecsys({ engine: 'serve', wasmModule: Promise.resolve(new Uint8Array(8)) }),
    { name: 'TypeError', message: 'wasmModule must resolve to a WebAssembly.Module, got an object' });
  await assert.rejects(createRecsys({ engine: 'serve', wasmModule: new Uint8Array(8) }),
    { name: 'TypeError', message: 'wasmModule must be a WebAssembly.Module or a promise of one, got an object' });
  await assert.rejects(createRecsys({ wasmModule: WebAssembly.compile(bytes('recsys.wasm')), wasmUrl: 'x.wasm' }),
    { name: 'RangeError', message: 'give one of wasmBinary, wasmUrl and wasmModule, got wasmUrl and wasmModule' });
});

test('threads: Node runs the single-thread engines; more threads is a clear error', async () => {
  assert.equal(full.threads, 1);
  assert.equal(serve.threads, 1);
  assert.equal((await createRecsys({ threads: 1 })).threads, 1);
  await assert.rejects(createRecsys({ threads: 2 }), {
    name: 'RangeError',
    message: "threads: 2 needs the full engine's pthread build, which runs only in pages and Workers, not here; use threads: 'auto' or 1",
  });
  await assert.rejects(createRecsys({ threads: 'many' }), { name: 'RangeError', message: "threads must be 'auto' or an integer >= 1, got \"many\"" });
  await assert.rejects(createRecsys({ threads: 2, wasmBinary: new Uint8Array(8) }), {
    name: 'RangeError',
    message: "threads: 2 cannot be combined with wasmBinary (it gives the single-thread build's .wasm); use threads: 1",
  });
  full.setThreads(1);
  assert.throws(() => full.setThreads(2), { name: 'RangeError', message: 'threads must be an integer in [1, 1], got number 2' });
  assert.equal(full.threads, 1);
});
