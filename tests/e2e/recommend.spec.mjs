// The Recommend page: first recommendations within 1 s, session events change them, "why?",
// scenes, Online Retail with its candidate ranker (the native CLI's list), and a corrupt model file refused while the previous model keeps working.
import { test, expect } from '@playwright/test';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const ids = (page) => page.locator('#cards .card').evaluateAll((els) => els.map((e) => e.dataset.id));

test('first recommendations within 1 s, then clicks change them at once', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const start = Date.now();
  await page.goto('/recommend.html');
  await expect(page.locator('#cards .card')).toHaveCount(10, { timeout: 10_000 });
  const visibleMs = Date.now() - start;
  const readyMs = Number(await page.locator('#engine').getAttribute('data-ready-ms'));
  await expect(page.locator('#engine')).toContainText('serve engine');  // the smaller download
  test.info().annotations.push({ type: 'first recommendations', description: `${visibleMs} ms from navigation (engine + model + data ${readyMs} ms)` });
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/first-recommendations.json', JSON.stringify({ visibleMs, readyMs }));
  // The target is 1 s on localhost (README reports the measured figure); on a loaded CI machine the
  // assertion only guards against gross regressions.
  expect(visibleMs).toBeLessThan(5000);
  const before = await ids(page);
  // View an item (goes to its product page), then buy from the list: the list changes each time.
  await page.locator('#cards .card').first().locator('[data-event=view]').click();
  await expect(page.locator('[data-scene=product_page]')).toHaveAttribute('aria-selected', 'true');
  const product = await ids(page);
  expect(product).not.toEqual(before);
  expect(product).not.toContain(before[0]);
  await expect(page.locator('#latency')).toContainText('recommendations in');
  expect(Number(await page.locator('#latency').getAttribute('data-ms'))).toBeLessThan(50);
  await page.locator('[data-scene=default]').click();
  const forYou = await ids(page);
  await page.locator('#cards .card').nth(2).locator('[data-event=add_to_cart]').click();
  await expect(page.locator('[data-scene=cart_page]')).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('#events li')).toHaveCount(2);
  await page.locator('[data-scene=default]').click();
  expect(await ids(page)).not.toEqual(forYou);
  // "why?" shows the explanation.
  await page.locator('#cards .card').first().locator('[data-why]').click();
  await expect(page.locator('#cards .card').first().locator('dl')).toContainText('final score');
  await expect(page.locator('#cards .card').first().locator('dl')).toContainText('P(click)');
  // A known user, more diversity, the home page.
  await page.fill('#user', 'user_42');
  await page.locator('#user').dispatchEvent('change');
  await expect(page.locator('#session')).toContainText('user user_42');
  await page.locator('[data-scene=home_page]').click();
  await expect(page.locator('#cards .card')).toHaveCount(10);
  expect(errors).toEqual([]);
  await page.screenshot({ path: test.info().outputPath('recommend.png'), fullPage: true });
});

test('Online Retail, and a corrupt model file is refused while the old model keeps working', async ({ page }) => {
  await page.goto('/recommend.html');
  await expect(page.locator('#cards .card')).toHaveCount(10, { timeout: 10_000 });
  await page.selectOption('#dataset', 'online-retail');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'online-retail', { timeout: 20_000 });
  await expect(page.locator('#model-status')).toContainText('3,659 items');
  // The demo model's candidate ranker serves "For you" in its scene: a known customer's list is the
  // one `recsys recommend` serves natively from the same files.
  await expect(page.locator('#model-status')).toContainText('with a candidate ranker (scene retail)');
  const customer = '12347';
  await page.fill('#user', customer);
  await page.locator('#user').blur();  // commits the field (a change event), as leaving it does
  await expect(page.locator('#session')).toContainText(`user ${customer}`);
  const diversity = await page.locator('#diversity').inputValue();
  const cli = spawnSync('build/recsys', ['recommend', '--model', 'data/demo/page-online-retail-model', '--data', 'online-retail',
    '--user', customer, '--k', '10', '--diversity', diversity, '--json'], { encoding: 'utf8' });
  expect(cli.status, cli.stderr).toBe(0);
  const native = JSON.parse(cli.stdout);
  expect(native.map((r) => r.explanation.source).join(' ')).toMatch(/neighbours|personal/);
  expect(await ids(page)).toEqual(native.map((r) => r.id));
  const before = await ids(page);
  const weights = readFileSync('data/demo/page-online-retail-model/model.safetensors');
  const manifest = readFileSync('data/demo/page-online-retail-model/manifest.json');
  await page.setInputFiles('#model-files', [
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: weights.subarray(0, weights.length - 100) },
    { name: 'manifest.json', mimeType: 'application/json', buffer: manifest },
  ]);
  await expect(page.locator('#error')).toContainText('truncated');
  await expect(page.locator('#error')).toHaveAttribute('data-refused', 'true');
  // Still the previous model: the same list, and events still work.
  expect(await ids(page)).toEqual(before);
  await page.locator('#cards .card').first().locator('[data-event=purchase]').click();
  await expect(page.locator('#cards .card').first()).toBeVisible();
  expect(await ids(page)).not.toContain(before[0]);
  await page.screenshot({ path: test.info().outputPath('refused.png'), fullPage: true });
});
