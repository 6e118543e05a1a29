// The pthread engine: createRecsys({ threads: 'auto' }) loads it in a cross-origin-isolated page (the demo server
// sends COOP/COEP), with one thread per core; it trains to the same weights and searches to the
// same lists as the single-thread engine, and the Train page says which engine runs.
import { test, expect } from '@playwright/test';

test('the pthread engine loads in an isolated page and gives the single-thread results', async ({ page }) => {
  await page.goto('/index.html');
  const r = await page.evaluate(async () => {
    const { createRecsys } = await import('/dist/index.mjs');
    const cores = navigator.hardwareConcurrency;
    const [mt, one] = [await createRecsys({ threads: 'auto' }), await createRecsys()];
    const digest = async (bytes) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    const train = async (rs, preset) => {
      const shop = rs.generateShop({ users: 1500, items: 800, interactions: 15000, seed: 3 });
      const trainer = rs.createTrainer(shop, { preset, split: 'none', epochs: 1, batchSize: 128, patience: 0 });
      const losses = [];
      for (let k = 0; k < 6 && !trainer.done; k++) losses.push(trainer.step(10).meanLoss);
      const files = trainer.model.toFiles();
      const out = { losses, weights: await digest(files.weights) };
      trainer.dispose();
      shop.dispose();
      return out;
    };
    // A batch (split by queries) and single queries over 40,000 items (split by items, each
    // thread keeping its own top k: 2 x 16,384 items is where a split starts).
    const search = (rs, kind, n = 6000, m = 100) => {
      let seed = 7;
      const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
      const d = 32;
      const items = Float32Array.from({ length: n * d }, rand);
      const queries = Float32Array.from({ length: m * d }, rand);
      const index = rs.createIndex({ kind }).build(items, n, d);
      const out = { ids: [], scores: [] };
      const lists = m > 1 ? [index.search(queries, { m, k: 10 })]
        : [10, 100].map((k) => index.search(queries, { k }));
      for (const { ids, scores } of lists) { out.ids.push(...ids); out.scores.push(...scores); }
      index.dispose();
      return out;
    };
    const out = { isolated: crossOriginIsolated, cores, threads: [mt.threads, one.threads], train: {}, search: {} };
    for (const preset of ['seed', 'default']) out.train[preset] = [await train(mt, preset), await train(one, preset)];
    for (const kind of ['exact', 'int8']) out.search[kind] = [search(mt, kind), search(one, kind)];
    for (const kind of ['exact', 'int8']) out.search[`${kind} single`] = [search(mt, kind, 40000, 1), search(one, kind, 40000, 1)];
    const message = async (f) => { try { await f(); return 'no error'; } catch (e) { return `${e.name}: ${e.message}`; } };
    out.errors = {
      tooMany: await message(() => createRecsys({ threads: 99 })),
      serve: await message(() => createRecsys({ engine: 'serve', threads: 2 })),
      bad: await message(() => createRecsys({ threads: 0 })),
      // 'auto' with the caller's own .wasm (the single-thread build's) stays single-thread.
      ownWasm: (await createRecsys({ threads: 'auto', wasmUrl: '/dist/recsys.wasm' })).threads,
    };
    return out;
  });
  expect(r.isolated).toBe(true);
  expect(r.threads).toEqual([Math.min(8, Math.max(2, r.cores)), 1]);
  for (const preset of ['seed', 'default']) {
    const [mt, one] = r.train[preset];
    expect(mt.losses.length).toBeGreaterThan(2);
    expect(mt.losses).toEqual(one.losses);
    expect(mt.weights).toBe(one.weights);
  }
  for (const kind of ['exact', 'int8', 'exact single', 'int8 single']) {
    expect(r.search[kind][0].ids.length).toBeGreaterThan(0);
    expect(r.search[kind][0]).toEqual(r.search[kind][1]);
  }
  const most = Math.min(8, Math.max(2, r.cores));
  expect(r.errors.tooMany).toBe(`RangeError: threads must be in [1, ${most}] here (one per core, up to 8), got 99`);
  expect(r.errors.serve).toBe("RangeError: threads: 2 needs the full engine's pthread build, which the serving engine doesn't have; use threads: 'auto' or 1");
  expect(r.errors.ownWasm).toBe(1);
  expect(r.errors.bad).toBe("RangeError: threads must be 'auto' or an integer >= 1, got number 0");
});

test('the Train page trains on the pthread engine in its Worker and says so', async ({ page }) => {
  await page.goto('/train.html');
  await page.fill('#epochs', '1');
  await page.click('#start');
  await expect(page.locator('#engine')).toContainText(/pthread build, \d+ threads/, { timeout: 20_000 });
  await expect(page.locator('body')).toHaveAttribute('data-done', 'true', { timeout: 60_000 });
});

// The pthread engine throws its errors as the others do (wasm/invoker.js throws the error that a
// refused call leaves), and its refused calls take nothing from the heap: before, the error was
// thrown through the module as a JS exception, which skipped the call's C++ destructors (468 bytes
// per refused call here).
test('the pthread engine refuses bad calls with the same errors and leaves the heap as it was', async ({ page }) => {
  await page.goto('/index.html');
  const r = await page.evaluate(async () => {
    const { createRecsys } = await import('/dist/index.mjs');
    const rs = await createRecsys({ threads: 'auto' });
    const shop = rs.generateShop({ users: 300, items: 200, interactions: 4000 });
    const trainer = rs.createTrainer(shop, { epochs: 1 });
    while (!trainer.done) trainer.step(50);
    const rec = rs.createRecommender({ model: trainer.model, dataset: shop });
    const session = rec.createSession({ userId: 'user_3' });
    const long = 'x'.repeat(200);
    const calls = [() => session.track({ itemId: `no_such_item_${long}`, event: 'view' }), () => rec.recommend({ scene: `no_such_scene_${long}`, k: 5 })];
    const refused = (f) => { try { f(); return null; } catch (e) { return { name: e.name, kind: e.kind, message: e.message.slice(0, 40) }; } };
    const first = calls.map(refused);
    const before = rs.memoryUsage().allocatedBytes;
    for (let i = 0; i < 500; i++) calls.forEach(refused);
    const grown = rs.memoryUsage().allocatedBytes - before;
    return { threads: rs.threads, first, grown, size: session.size, list: rec.recommend({ session, k: 5 }).length };
  });
  expect(r.threads).toBeGreaterThan(1);
  expect(r.first).toEqual([
    { name: 'Error', kind: 'not_found', message: "track: unknown item 'no_such_item_xxxxxx" },
    { name: 'RangeError', kind: 'range', message: "recommend: unknown scene 'no_such_scene_" },
  ]);
  expect(r.grown).toBeLessThan(1024);
  expect(r.size).toBe(0);
  expect(r.list).toBe(5);
});
