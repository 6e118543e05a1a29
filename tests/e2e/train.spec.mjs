// The Train page: training in a Worker lowers the loss while the page answers clicks; charts; the
// trained model downloads and serves the Recommend page.
import { test, expect } from '@playwright/test';

test('training in the Worker lowers the loss while the page still answers a click', async ({ page }) => {
  await page.goto('/train.html');
  await page.fill('#epochs', '2');
  await page.click('#start');
  await expect(page.locator('#progress')).toHaveAttribute('data-steps', /\d+/, { timeout: 20_000 });
  const firstLoss = Number(await page.locator('#progress').getAttribute('data-loss'));
  // The page answers while the Worker trains.
  for (let i = 0; i < 3; i++) await page.click('#ping');
  await expect(page.locator('#pings')).toHaveText('3');
  expect(await page.locator('body').getAttribute('data-done')).toBeNull();
  await expect(page.locator('body')).toHaveAttribute('data-done', 'true', { timeout: 60_000 });
  const lastLoss = Number(await page.locator('#progress').getAttribute('data-loss'));
  expect(lastLoss).toBeLessThan(firstLoss - 0.3);
  await expect(page.locator('body')).toHaveAttribute('data-epochs', '2');
  await expect(page.locator('#result')).toContainText('validation recall@10');
  await expect(page.locator('#loss-chart canvas')).toHaveCount(1);
  await expect(page.locator('#recall-chart canvas')).toHaveCount(1);
  await expect(page.locator('#download-weights')).toBeVisible();
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-manifest')]);
  expect(download.suggestedFilename()).toBe('manifest.json');
  await page.screenshot({ path: test.info().outputPath('train.png'), fullPage: true });
  // The trained model serves the Recommend page.
  await page.click('#use');
  await expect(page).toHaveURL(/recommend\.html\?model=trained/);
  await expect(page.locator('#cards .card')).toHaveCount(10, { timeout: 10_000 });
  await expect(page.locator('#model-status')).toContainText('the model trained on the Train page');
});

test('in the page, a handle never crosses engines or Workers', async ({ page }) => {
  await page.goto('/train.html');
  const r = await page.evaluate(async () => {
    const { createRecsys } = await import('/dist/index.mjs');
    const [a, b] = [await createRecsys(), await createRecsys()];
    const shop = a.generateShop({ users: 100, items: 60, interactions: 800, seed: 2 });
    const trainer = a.createTrainer(shop, { epochs: 1 });
    await trainer.train();
    const model = trainer.model;
    const message = (f) => { try { f(); return 'no error'; } catch (e) { return `${e.name}: ${e.message}`; } };
    // A Worker gets what postMessage clones: a Model without its handle.
    const worker = new Worker(URL.createObjectURL(new Blob(['onmessage = (e) => postMessage(Object.keys(e.data))'], { type: 'text/javascript' })));
    const keys = await new Promise((resolve) => { worker.onmessage = (e) => resolve(e.data); worker.postMessage(model); });
    worker.terminate();
    const out = {
      keys,
      otherEngine: message(() => b.createRecommender({ model, dataset: b.generateShop({ users: 100, items: 60, interactions: 800, seed: 2 }) })),
      cloned: message(() => a.createRecommender({ model: structuredClone(model), dataset: shop })),
    };
    model.dispose();
    out.disposed = message(() => model.recommend({ k: 3 }));
    return out;
  });
  expect(r.keys).toEqual([]);
  expect(r.otherEngine).toBe('Error: model: the Model belongs to another engine (each createRecsys(), and each Worker, has its own memory); create or load it on this one');
  expect(r.cloned).toBe('TypeError: model must be a Model, got an object');
  expect(r.disposed).toBe('Error: Model has been disposed');
});
