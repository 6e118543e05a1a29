// The Recommend page on this device: a visit survives a reload (IndexedDB), "forget me" returns the
// anonymous list, and on-device fine-tuning runs in a Worker while the page keeps answering.
import { test, expect } from '@playwright/test';
import { writeFileSync, mkdirSync } from 'node:fs';

const ids = (page) => page.locator('#cards .card').evaluateAll((els) => els.map((e) => e.dataset.id));
const ready = async (page) => {
  await expect(page.locator('#cards .card')).toHaveCount(10, { timeout: 15_000 });
  await expect(page.locator('#device-status')).toContainText('events stored on this device');
};

test('events tracked → reload → the same list; forget me → the anonymous list', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/recommend.html');
  await ready(page);
  const anonymous = await ids(page);
  await page.locator('#cards .card').nth(3).locator('[data-event=purchase]').click();
  await page.locator('#cards .card').nth(1).locator('[data-event=purchase]').click();
  await expect(page.locator('#session')).toContainText('2 events');
  await expect(page.locator('#device-status')).toContainText('2 events stored on this device');
  const mine = await ids(page);
  expect(mine).not.toEqual(anonymous);
  await page.reload();
  await ready(page);
  await expect(page.locator('#device-status')).toContainText('Your visit was restored from this device');
  await expect(page.locator('#session')).toContainText('2 events');
  expect(await ids(page)).toEqual(mine);
  await expect(page.locator('#events li')).toHaveCount(2);
  await page.locator('#forget').click();
  await expect(page.locator('#device-status')).toContainText('Forgotten');
  await expect(page.locator('#session')).toContainText('anonymous visitor, 0 events');
  expect(await ids(page)).toEqual(anonymous);
  await page.reload();
  await ready(page);
  await expect(page.locator('#device-status')).toContainText('0 events stored');  // nothing came back
  expect(await ids(page)).toEqual(anonymous);
  expect(errors).toEqual([]);
});

test('fine-tuning runs in a Worker while the page answers a click, and the fine-tuned list survives a reload', async ({ page }) => {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/recommend.html');
  await ready(page);
  await page.locator('#cards .card').nth(2).locator('[data-event=purchase]').click();
  // The default setting (3 steps): its time in the Worker, for the README.
  await page.locator('#personalise').check();
  await expect(page.locator('#device-status')).toContainText('last fine-tune', { timeout: 15_000 });
  const readMs = async () => Number(/steps, ([\d.]+) ms in a Worker/.exec(await page.locator('#device-status').textContent())[1]);
  const firstMs = await readMs();  // the Worker computes the item vectors in its first call
  await page.locator('#cards .card').nth(5).locator('[data-event=purchase]').click();
  await expect(page.locator('#device-status')).toContainText('2 events stored on this device');
  await expect(page.locator('#device-status')).not.toHaveAttribute('data-fitting', 'true', { timeout: 15_000 });
  const ms = await readMs();  // a later call: the vectors are kept
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/fine-tune.json', JSON.stringify({ steps: 3, firstMs, ms }));
  test.info().annotations.push({ type: 'fine-tune (3 steps)', description: `${firstMs} ms (first), ${ms} ms (second) in the Worker` });
  // A long fine-tune: the page answers a click while it runs.
  await page.fill('#personalise-steps', '2000');
  await page.locator('#personalise-steps').blur();
  const before = await ids(page);
  await page.locator('#cards .card').nth(0).locator('[data-event=purchase]').click();
  await expect(page.locator('#device-status')).toHaveAttribute('data-fitting', 'true');
  await page.locator('#cards .card').nth(4).locator('[data-event=purchase]').click();  // while it runs
  await expect(page.locator('#session')).toContainText('4 events');
  expect(await page.locator('#device-status').getAttribute('data-fitting')).toBe('true');  // still fitting
  expect(await ids(page)).not.toEqual(before);  // the click was answered at once
  await expect(page.locator('#device-status')).not.toHaveAttribute('data-fitting', 'true', { timeout: 30_000 });
  await expect(page.locator('#device-status')).toContainText('(2000 steps');
  const tuned = await ids(page);
  await page.reload();
  await ready(page);
  await expect(page.locator('#device-status')).toContainText('restored');
  await expect(page.locator('#personalise')).toBeChecked();
  expect(await ids(page)).toEqual(tuned);  // the adapter came back with the events
  expect(errors).toEqual([]);
});

test('a visit saved for another model is refused with a clear message, not served', async ({ page }) => {
  await page.goto('/recommend.html');
  await ready(page);
  await page.locator('#cards .card').nth(0).locator('[data-event=purchase]').click();
  await expect(page.locator('#device-status')).toContainText('1 events stored on this device');
  // The same shop's model at f32: other weights (another checksum) than the page's int8 copy.
  await page.setInputFiles('#model-files', ['data/demo/model/model.safetensors', 'data/demo/model/manifest.json']);
  await expect(page.locator('#model-status')).toContainText('model.safetensors + manifest.json');
  await expect(page.locator('#device-status')).toContainText('A visit saved on this device was not restored: stale state: it was saved for model');
  await expect(page.locator('#device-status')).toHaveAttribute('data-refused', 'true');
  await expect(page.locator('#session')).toContainText('anonymous visitor, 0 events');
});
