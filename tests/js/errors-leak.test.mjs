// A refused call frees what its arguments took in the wasm heap (wasm/invoker.js): the strings a
// binding receives are copied into the heap before the call and freed whether it returns or
// throws. With embind's own invokers every refused call with a string argument leaked its copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecsys } from 'recsys-wasm';

const full = await createRecsys();
const shop = full.generateShop({ users: 300, items: 200, interactions: 4000 });
const trainer = full.createTrainer(shop, { epochs: 1 });
await trainer.train();
const files = trainer.model.toFiles();

for (const engine of ['full', 'serve']) {
  test(`${engine} engine: 1,500 refused calls with string arguments leave the heap as it was`, async () => {
    const rs = engine === 'full' ? full : await createRecsys({ engine });
    const model = await rs.loadModel(files);
    const data = rs.loadDataset({ catalog: shop.catalogCsv(), interactions: shop.interactionsCsv() });
    const rec = rs.createRecommender({ model, dataset: data });
    const session = rec.createSession({ userId: 'user_3' });
    const long = 'x'.repeat(200);
    const refused = [
      [() => session.track({ itemId: `no_such_item_${long}`, event: 'view' }), /track: unknown item 'no_such_item_x/],
      [() => rec.recommend({ userId: `user_${long}`, scene: `no_such_scene_${long}`, k: 5 }), /unknown scene 'no_such_scene_x/],
      [() => rec.recommend({ itemId: `no_such_item_${long}`, scene: 'product_page', k: 5 }), /no_such_item_x/],
    ];
    const once = () => { for (const [call, message] of refused) assert.throws(call, { message }); };
    once();  // first calls may size buffers that stay
    const before = rs.memoryUsage().allocatedBytes;
    for (let i = 0; i < 500; i++) once();
    const grown = rs.memoryUsage().allocatedBytes - before;
    // 1,500 refused calls, each with strings of over 200 bytes: a leak would be over 300 KB.
    assert.ok(grown < 1024, `the heap grew by ${grown} bytes`);
    // The session and the recommender are as they were.
    assert.equal(session.size, 0);
    assert.equal(rec.recommend({ session, k: 5 }).length, 5);
    [session, rec, data, model].forEach((x) => x.dispose());
  });
}
