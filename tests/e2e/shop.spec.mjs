// The shop-data page: the numbers it shows match the native generator's (build/recsys).
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';

const native = JSON.parse(execFileSync('build/recsys', ['generate', '--json'], { encoding: 'utf8' }));

test('the page shows the synthetic shop exactly as the native generator makes it', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/index.html');
  await expect(page.locator('body')).toHaveAttribute('data-loaded', 'synthetic', { timeout: 30_000 });
  const stat = (key) => page.locator(`[data-stat="${key}"]`).innerText();
  const num = async (key) => Number((await stat(key)).replace(/,/g, ''));
  expect(await num('users')).toBe(native.users);
  expect(await num('items')).toBe(native.items);
  expect(await num('interactions')).toBe(native.interactions);
  expect(await num('categories')).toBe(native.categories);
  expect(await num('brands')).toBe(native.brands);
  expect(await num('clicks')).toBe(native.clicks);
  expect(await num('purchases')).toBe(native.purchases);
  expect(await stat('priceMean')).toBe(native.priceMean.toFixed(2));
  expect(await stat('checksum')).toBe(native.checksum);
  await expect(page.locator('#native')).toHaveAttribute('data-match', 'true');
  // Category table: as many rows as categories, first row the most active category.
  await expect(page.locator('#categories tbody tr')).toHaveCount(native.categories);
  await expect(page.locator('#categories tbody tr').first().locator('td').first())
    .toHaveText(native.categoryBreakdown[0].category);
  await expect(page.locator('#items-table tbody tr')).toHaveCount(12);
  expect(errors).toEqual([]);
  await page.screenshot({ path: test.info().outputPath('shop.png'), fullPage: true });
});

test('a smaller shop from the form, then Online Retail, then a bad value shows its error', async ({ page }) => {
  await page.goto('/index.html');
  await expect(page.locator('body')).toHaveAttribute('data-loaded', 'synthetic', { timeout: 30_000 });
  await page.fill('#users', '300');
  await page.fill('#items', '200');
  await page.fill('#interactions', '2000');
  await page.fill('#seed', '7');
  await page.click('#generate');
  await expect(page.locator('[data-stat="users"]')).toHaveText('300');
  const small = JSON.parse(execFileSync('build/recsys',
    ['generate', '--json', '--seed', '7', '--users', '300', '--items', '200', '--interactions', '2000'], { encoding: 'utf8' }));
  await expect(page.locator('[data-stat="checksum"]')).toHaveText(small.checksum);
  await expect(page.locator('[data-stat="interactions"]')).toHaveText('2,000');

  await page.selectOption('#source', 'online-retail');
  await expect(page.locator('body')).toHaveAttribute('data-loaded', 'online-retail', { timeout: 30_000 });
  await expect(page.locator('[data-stat="users"]')).toHaveText('4,334');
  await expect(page.locator('[data-stat="items"]')).toHaveText('3,659');
  await expect(page.locator('[data-stat="interactions"]')).toHaveText('396,337');

  await page.selectOption('#source', 'synthetic');
  await expect(page.locator('body')).toHaveAttribute('data-loaded', 'synthetic', { timeout: 30_000 });
  await page.fill('#users', '0');
  await page.click('#generate');
  await expect(page.locator('#status')).toHaveText(/RangeError: synthetic: 'users' must be in \[1, 5e7\], got 0/);
});

test('the module loads on the main thread and in a module Worker, cross-origin isolated', async ({ page }) => {
  await page.goto('/index.html');
  const result = await page.evaluate(async () => {
    const { createRecsys } = await import('/dist/index.mjs');
    const rs = await createRecsys();
    const ds = rs.generateShop({ users: 100, items: 50, interactions: 500, categories: 5 });
    const s = ds.stats();
    ds.dispose();
    let message = '';
    try { rs.loadCatalog('id,title,category,brand,price\nx,t,c,b,abc\n'); } catch (e) { message = `${e.constructor.name}: ${e.message}`; }
    return { isolated: self.crossOriginIsolated, users: s.users, message };
  });
  expect(result.isolated).toBe(true);
  expect(result.users).toBe(100);
  expect(result.message).toBe("Error: catalog.csv:2: field 'price': not a number (value 'abc')");
});
