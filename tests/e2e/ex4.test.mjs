// Exercise 4 in headless Chromium: the three bottleneck ResNets at 1/16 width planned, timed and trained
// on the CPU backend; a full-width net that would not fit is refused before anything runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);

test('Exercise 4: ResNet-50/101/152 scaled, estimated before the run, trained side by side', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=ex4&backend=cpu&divisor=16&data=gratings&samples=48&size=16&epochs=1&batch=8`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  // The plan: published counts (torchvision's, 1000 classes) beside the scaled nets' own.
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=plans] tbody tr')].every((tr) => Number(tr.dataset.forwardMs) > 0), null, { timeout: 120_000 });
  const plans = await page.$$eval('[data-testid=plans] tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset })));
  assert.deepEqual(plans.map((p) => Number(p.published)), [25_557_032, 44_549_160, 60_192_808]);
  for (const p of plans) assert.ok(Number(p.params) > 0 && Number(p.params) < Number(p.published) / 100 && Number(p.memory) > 0, JSON.stringify(p));
  assert.ok(Number(plans[2].params) > Number(plans[0].params));

  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=running]', { timeout: 10_000 });
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 300_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done');
  const loss = await page.$$eval('[data-testid=loss-chart] .legend li', (lis) => lis.map((li) => [li.dataset.series, Number(li.dataset.points)]));
  assert.deepEqual(loss, [['ResNet-50 (1/16 width)', 5], ['ResNet-101 (1/16 width)', 5], ['ResNet-152 (1/16 width)', 5]]);
  const time = await page.$$eval('[data-testid=time-chart] .legend li', (lis) => lis.map((li) => Number(li.dataset.points)));
  assert.deepEqual(time, [3]);
  // The readout's verdict follows the measured losses.
  const details = await page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => ({ s: li.dataset.series, first: Number(li.dataset.firstLoss), last: Number(li.dataset.finalLoss) })));
  const stalled = details.filter((d) => !(d.last < d.first)).map((d) => d.s);
  const readout = await page.textContent('[data-testid=readout]');
  if (stalled.length === 0) assert.match(readout, /All 3 nets converged/);
  else for (const s of stalled) assert.ok(readout.includes(s), `${s} named as not converging: ${readout}`);
  assert.ok(await canvasHasInk(page, '[data-testid=loss-chart]') > 100);
  assert.match(await page.textContent('[data-testid=cli] pre'), /lab -- train ex4-resnet152\.json/);
  await page.waitForTimeout(300);
  await screenshot(page, 'ex4');
  assert.deepEqual(page.errors, []);
});

test('Exercise 4: a full-width ResNet-152 at batch 256 is refused up front, with the estimate', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=ex4&backend=cpu&divisor=1&depths=152&data=gratings&size=32&batch=256`);
  await page.waitForSelector('[data-testid=refused]');
  const text = await page.textContent('[data-testid=refused]');
  assert.match(text, /ResNet-152 at 1\/1 width, batch 256, 32 px needs about \d+ MiB/);
  assert.equal(await page.isDisabled('[data-testid=train]'), true);
  assert.deepEqual(page.errors, []);
});
