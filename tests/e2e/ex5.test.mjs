// Exercise 5 in headless Chromium: the four skip variants on one backbone (CPU, tiny settings), their
// parameter counts, what the weighted and gated skips learned, and the three-seed ranking; then one
// tiny variant on WebGPU.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);
const TINY = 'backbone=cifar&depth=8&width=4&data=gratings&samples=80&size=8&epochs=2&batch=16';

async function trainAndWait(page) {
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=running]', { timeout: 10_000 });
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 300_000 });
  return page.getAttribute('[data-testid=progress]', 'data-phase');
}

test('Exercise 5: four skip variants trained alike, what they learned, and a three-seed ranking', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=ex5&backend=cpu&${TINY}`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  const params = await page.$$eval('[data-testid=params] tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.dataset.variant, Number(tr.dataset.params)])));
  assert.deepEqual(Object.keys(params), ['identity', 'channel_weight', 'x_attention', 'dense']);
  assert.ok(params.channel_weight > params.identity && params.dense > params.x_attention && params.x_attention > params.identity, JSON.stringify(params));
  assert.equal(await trainAndWait(page), 'done');

  const loss = await page.$$eval('[data-testid=loss-chart] .legend li', (lis) => lis.map((li) => li.dataset.series));
  assert.deepEqual(loss, ['identity: x + F(x)', 'channel weights: x + w ⊙ F(x)', 'attention from x: x + a(x) ⊙ F(x)', 'dense: x + F(x) + G(x)']);
  // The trained nets' parameter counts equal the planned ones.
  const trained = await page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => Number(li.dataset.params)));
  assert.deepEqual(trained, Object.values(params));
  await page.waitForTimeout(400);
  assert.ok(await canvasHasInk(page, '[data-testid=weights]') > 100, 'channel weights drawn');
  const gates = await page.$$eval('[data-testid=gate-chart] .legend li', (lis) => lis.map((li) => [Number(li.dataset.points), Number(li.dataset.first)]));
  assert.equal(gates.length, 1);
  assert.ok(gates[0][0] === 3 && gates[0][1] > 0 && gates[0][1] < 1, JSON.stringify(gates));
  assert.match(await page.textContent('[data-testid=readout]'), /Ranking by held-out accuracy: \w+ [0-9.]+%/);
  assert.match(await page.textContent('[data-testid=readout]'), /repeat with 3 seeds/);

  // Three seeds, two variants: mean ± spread.
  await page.goto(`${site.base}?page=ex5&backend=cpu&${TINY}&variants=identity,dense&seeds=3`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.equal(await trainAndWait(page), 'done');
  assert.equal((await page.$$('[data-testid=details] li')).length, 6);
  assert.match(await page.textContent('[data-testid=readout]'), /mean ± half-range over 3 seeds\): \w+ [0-9.]+% ± [0-9.]+ > \w+ [0-9.]+% ± [0-9.]+/);
  await page.waitForTimeout(300);
  await screenshot(page, 'ex5');
  assert.deepEqual(page.errors, []);
});

test('Exercise 5 on WebGPU: the attention-from-x variant trains', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=ex5&backend=webgpu&backbone=cifar&depth=8&width=4&data=gratings&samples=40&size=8&epochs=1&batch=8&variants=x_attention`);
  await page.waitForSelector('[data-testid=backend][data-backend=webgpu], [data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.equal(await page.getAttribute('[data-testid=backend]', 'data-backend'), 'webgpu');
  assert.equal(await trainAndWait(page), 'done', await page.textContent('.progress-text'));
  const gates = await page.$$eval('[data-testid=gate-chart] .legend li', (lis) => lis.map((li) => Number(li.dataset.points)));
  assert.deepEqual(gates, [3]);
  assert.deepEqual(page.errors, []);
});
