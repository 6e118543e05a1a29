// One implementation of the request path: `recsys recommend` (native) and recommender.recommend()
// (wasm, what the Recommend page calls) return the same list for the same request, on the demo
// shop and model that the page loads (data/demo/, made by npm start / npm test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRecsys } from 'recsys-wasm';

const root = fileURLToPath(new URL('../../', import.meta.url));
const shopDir = `${root}data/demo/synthetic`;
const modelDir = `${root}data/demo/model`;

const rs = await createRecsys({ engine: 'serve' });
const model = await rs.loadModel({ weights: `${modelDir}/model.safetensors`, manifest: `${modelDir}/manifest.json` });
const dataset = rs.loadDataset({
  catalog: readFileSync(`${shopDir}/catalog.csv`, 'utf8'),
  interactions: readFileSync(`${shopDir}/interactions.csv`, 'utf8'),
});

const CASES = [
  { name: 'a known user, default scene', request: { userId: 'user_42', k: 10 } },
  { name: 'an anonymous home page', request: { scene: 'home_page', k: 8 } },
  { name: 'a product page', request: { scene: 'product_page', itemId: 'item_17', k: 10 } },
  { name: 'a session with clicks, λ 0.5', request: { k: 12, diversity: 0.5 },
    events: [{ itemId: 'item_3', event: 'view', timestamp: 100 }, { itemId: 'item_90', event: 'click', timestamp: 110 }] },
  { name: 'a cart page', request: { scene: 'cart_page', userId: 'user_7', k: 6 },
    events: [{ itemId: 'item_11', event: 'add_to_cart', timestamp: 100 }] },
  { name: 'filters', request: { userId: 'user_5', k: 10, filters: { priceMin: 10, priceMax: 60, exclude: ['item_1', 'item_2'] } } },
];

test('the CLI and the page serve the same list for the same request', () => {
  assert.ok(model.hasRanker, 'the demo model comes with its ranker');
  const rec = rs.createRecommender({ model, dataset });
  for (const c of CASES) {
    let session;
    if (c.events) {
      session = rec.createSession({ userId: c.request.userId });
      for (const e of c.events) session.track(e);
    }
    const page = rec.recommend({ ...c.request, session });
    const args = ['recommend', '--model', modelDir, '--data', shopDir, '--request', JSON.stringify(c.request), '--json'];
    if (c.events) args.push('--events', JSON.stringify(c.events));
    const cli = JSON.parse(execFileSync(`${root}build/recsys`, args, { encoding: 'utf8' }));
    assert.ok(page.length > 0, c.name);
    assert.deepEqual(cli.map((r) => r.id), page.map((r) => r.id), c.name);
    for (let i = 0; i < page.length; i++) {
      const [a, b] = [cli[i], page[i]];
      for (const key of ['rank', 'title', 'category', 'brand', 'price']) assert.equal(a[key], b[key], `${c.name}: ${a.id} ${key}`);
      assert.ok(Math.abs(a.score - b.score) < 1e-5);
      assert.equal(a.explanation.source, b.explanation.source, `${c.name}: ${a.id}`);
      for (const key of ['retrievalScore', 'relevance', 'diversityAdjustment', 'finalScore', 'pClick', 'pPurchase']) {
        assert.ok(Math.abs(a.explanation[key] - b.explanation[key]) < 1e-5, `${c.name}: ${a.id} ${key} ${a.explanation[key]} vs ${b.explanation[key]}`);
      }
    }
    session?.dispose();
  }
  rec.dispose();
});

test('useRanker: false holds across reload(), like the CLI --no-ranker', () => {
  const rec = rs.createRecommender({ model, dataset, useRanker: false });
  const plain = rec.recommend({ userId: 'user_42', k: 5 });
  assert.ok(plain.every((r) => r.explanation.pClick === undefined));
  rec.reload(model);  // the model still carries its ranker
  assert.deepEqual(rec.recommend({ userId: 'user_42', k: 5 }), plain);
  const cli = JSON.parse(execFileSync(`${root}build/recsys`, ['recommend', '--model', modelDir, '--data', shopDir,
    '--user', 'user_42', '--k', '5', '--no-ranker', '--json'], { encoding: 'utf8' }));
  assert.deepEqual(cli.map((r) => r.id), plain.map((r) => r.id));
  rec.dispose();
});

test('the Online Retail demo model serves with its candidate ranker, natively and in wasm alike', () => {
  const retailDir = `${root}data/demo/online-retail-model`;
  const dataDir = `${root}data/online_retail`;
  const retail = rs.loadOnlineRetail({ items: readFileSync(`${dataDir}/items.csv`, 'utf8'), baskets: readFileSync(`${dataDir}/baskets.csv`, 'utf8') });
  return rs.loadModel({ weights: `${retailDir}/model.safetensors`, manifest: `${retailDir}/manifest.json` }).then((m) => {
    assert.equal(m.candidateRanker.scene, 'retail');
    const rec = rs.createRecommender({ model: m, dataset: retail, cacheCapacity: 0 });
    const off = rs.createRecommender({ model: m, dataset: retail, cacheCapacity: 0, useCandidateRanker: false, strategy: m.candidateRanker.strategy });
    assert.equal(rec.defaultScene, 'retail');
    let differ = 0;
    for (const userId of ['12347', '12748', '17850', '14911']) {
      for (const [r, flag] of [[rec, []], [off, ['--no-candidate-ranker', '--scene', 'retail', '--strategy', JSON.stringify(m.candidateRanker.strategy)]]]) {
        const cli = JSON.parse(execFileSync(`${root}build/recsys`, ['recommend', '--model', retailDir, '--data', 'online-retail',
          '--user', userId, '--k', '10', '--json', ...flag], { encoding: 'utf8' }));
        const js = r.recommend({ userId, scene: 'retail', k: 10 });
        assert.deepEqual(js.map((x) => x.id), cli.map((x) => x.id), `user ${userId} ${flag.join(' ')}`);
        for (let i = 0; i < js.length; i++) assert.ok(Math.abs(js[i].score - cli[i].score) < 1e-5);
      }
      differ += JSON.stringify(rec.recommend({ userId, k: 10 })) !== JSON.stringify(off.recommend({ userId, scene: 'retail', k: 10 }));
    }
    assert.ok(differ > 0, 'the candidate ranker changes the lists');
    // Its options are checked before any training.
    for (const [args, message] of [
      [['--scene', 'retail'], 'options --scene and --strategy are the candidate ranker\'s: they need --candidate-ranker'],
      [['--candidate-ranker', '{"epochs":0}'], "candidate ranker: 'epochs' must be an integer >= 1, got 0"],
      [['--candidate-ranker', '{}', '--scene', 'attic'], "option '--scene': unknown scene 'attic'"],
    ]) {
      assert.throws(() => execFileSync(`${root}build/recsys`, ['train', '--data', 'synthetic', ...args], { encoding: 'utf8', stdio: 'pipe' }),
        (e) => e.stderr.includes(message), message);
    }
    [rec, off, m, retail].forEach((o) => o.dispose());
  });
});

test('the binary shop (shop.bin, what the Recommend page loads) is the same dataset as its CSV files', () => {
  const bytes = readFileSync(`${shopDir}/shop.bin`);
  const bin = rs.loadDataset({ shop: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) });
  const a = bin.stats();
  const b = dataset.stats();
  assert.equal(a.checksum, b.checksum);
  assert.equal(a.interactions, b.interactions);
  assert.equal(bin.numUsers, dataset.numUsers);
  // The same lists from it as from the CSV dataset.
  const request = { userId: 'user_42', k: 10 };
  const fromCsv = rs.createRecommender({ model, dataset });
  const fromBin = rs.createRecommender({ model, dataset: bin });
  assert.deepEqual(fromBin.recommend(request).map((r) => r.id), fromCsv.recommend(request).map((r) => r.id));
  fromCsv.dispose();
  fromBin.dispose();
  bin.dispose();
  // Bad input: a cut file is a format error naming it; the wrong type or both forms at once a TypeError.
  assert.throws(() => rs.loadDataset({ shop: new Uint8Array(bytes.subarray(0, 1000)) }), (e) => e.kind === 'format' && /^shop\.bin: item count 5000 does not fit the \d+ bytes that remain$/.test(e.message));
  assert.throws(() => rs.loadDataset({ shop: 'shop.bin' }), { name: 'TypeError', message: /shop must be a Uint8Array or an ArrayBuffer, got/ });
  assert.throws(() => rs.loadDataset({ shop: bytes.buffer, catalog: 'x' }), { name: 'TypeError', message: /give shop, or catalog and interactions, not both/ });
});

test('the bytes of a shop.bin or a model file are placed in the heap in one copy and freed whether loading works or fails', async () => {
  const shop = new Uint8Array(readFileSync(`${shopDir}/shop.bin`));
  const weights = new Uint8Array(readFileSync(`${modelDir}/model.safetensors`));
  const manifest = readFileSync(`${modelDir}/manifest.json`, 'utf8');
  rs.loadDataset({ shop }).dispose();  // warm-up: the allocator's first growth
  (await rs.loadModel({ weights, manifest })).dispose();
  const before = rs.memoryUsage().allocatedBytes;
  for (let i = 0; i < 3; i++) {
    rs.loadDataset({ shop }).dispose();
    (await rs.loadModel({ weights, manifest })).dispose();
    assert.throws(() => rs.loadDataset({ shop: shop.subarray(0, 5000) }), (e) => e.kind === 'format' && /^shop\.bin: /.test(e.message));
    await assert.rejects(rs.loadModel({ weights: weights.subarray(0, weights.length - 8), manifest }), (e) => e.kind === 'format');
  }
  const grown = rs.memoryUsage().allocatedBytes - before;
  assert.ok(grown < 4096, `allocated bytes grew by ${grown} over 3 rounds of a ${shop.length}-byte shop and a ${weights.length}-byte model`);
  // The caller's bytes are read, never changed or detached.
  assert.equal(weights.length, readFileSync(`${modelDir}/model.safetensors`).length);
  assert.equal(weights[weights.length - 1], readFileSync(`${modelDir}/model.safetensors`).at(-1));
});

test('text loads (CSV catalog and events, Online Retail) leave no bytes behind whether they work or fail', () => {
  const catalog = readFileSync(`${shopDir}/catalog.csv`, 'utf8');
  const interactions = readFileSync(`${shopDir}/interactions.csv`, 'utf8');
  const items = readFileSync(`${root}data/online_retail/items.csv`, 'utf8');
  const baskets = readFileSync(`${root}data/online_retail/baskets.csv`, 'utf8');
  const round = () => {
    rs.loadDataset({ catalog, interactions }).dispose();
    rs.loadCatalog(catalog).dispose();
    rs.loadOnlineRetail({ items, baskets }).dispose();
    // The same texts cut short: each fails with a message naming the file.
    assert.throws(() => rs.loadDataset({ catalog, interactions: `${interactions}user_1,item_1,view,x\n` }), (e) => e.kind === 'format' && /interactions\.csv/.test(e.message));
    assert.throws(() => rs.loadCatalog(`${catalog}"unterminated`), (e) => e.kind === 'format' && /catalog\.csv/.test(e.message));
    assert.throws(() => rs.loadOnlineRetail({ items, baskets: `${baskets}x,y,z\n` }), (e) => e.kind === 'format' && /baskets\.csv/.test(e.message));
  };
  round();  // warm-up: the allocator's first growth
  const before = rs.memoryUsage().allocatedBytes;
  for (let i = 0; i < 3; i++) round();
  const grown = rs.memoryUsage().allocatedBytes - before;
  assert.ok(grown < 4096, `allocated bytes grew by ${grown} over 3 rounds of ${catalog.length + interactions.length + items.length + baskets.length} bytes of text`);
});
