// The Experiment page: an A/B test of the default arms runs in its Worker while the page answers
// clicks; the table shows the arms and the tests, and the model arm beats random with p < 0.01.
import { test, expect } from '@playwright/test';

test('an experiment runs in the Worker and reports arms, tests, SRM, bandit and OPE', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/experiment.html');
  await page.fill('#sessions', '1200');
  await page.click('#start');
  // The page answers a click while the Worker runs the sessions.
  await expect(page.locator('#progress')).toHaveAttribute('data-sessions', /\d+/, { timeout: 60_000 });
  await page.click('#ping');
  await expect(page.locator('#pings')).toHaveText('1');
  await expect(page.locator('body')).toHaveAttribute('data-done', 'true', { timeout: 100_000 });
  await expect(page.locator('#results tbody tr')).toHaveCount(4);
  await expect(page.locator('#results tbody tr').first()).toHaveAttribute('data-arm', 'model');
  const p = Number(await page.locator('#tests tr[data-arm=random][data-metric=ctr]').getAttribute('data-p'));
  expect(p).toBeLessThan(0.01);
  await expect(page.locator('#srm')).toContainText('Sample-ratio check');
  await expect(page.locator('#bandit')).toContainText('Bandit (thompson on clicks)');
  await expect(page.locator('#ope')).toContainText('truth');
  await expect(page.locator('#warnings li')).toHaveCount(0);
  expect(errors).toEqual([]);
  await page.screenshot({ path: test.info().outputPath('experiment.png'), fullPage: true });
});

test('an experiment needs two arms', async ({ page }) => {
  await page.goto('/experiment.html');
  for (const arm of ['popularity', 'diversified', 'random']) await page.uncheck(`input[value=${arm}]`);
  await page.click('#start');
  await expect(page.locator('#error')).toHaveText('choose at least two arms');
});
