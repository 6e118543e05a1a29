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
