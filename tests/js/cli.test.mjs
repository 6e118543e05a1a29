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
