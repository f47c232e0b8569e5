// Exercise 3 in headless Chromium: a small ResNet trained on the CPU backend, its residual statistics
// measured at initialisation and after training; then the same on WebGPU with a tiny net.
import fs from 'node:fs';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);

async function trainAndMeasure(page, timeout) {
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=running]', { timeout: 10_000 });
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done');
  // Both measurements arrive: the ratio chart has a line for each.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=ratio-chart] .legend li').length === 2, null, { timeout });
}

test('Exercise 3: x, F(x) and F(x)+x per block, before and after training, from the measured activations', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=ex3&backend=cpu&depth=14&width=4&data=gratings&samples=160&size=16&epochs=2&batch=16&block=2`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await trainAndMeasure(page, 240_000);

  const ratio = await page.$$eval('[data-testid=ratio-chart] .legend li', (lis) => lis.map((li) => [li.dataset.series, Number(li.dataset.points), Number(li.dataset.first)]));
  assert.deepEqual(ratio.map((r) => [r[0], r[1]]), [['at initialisation', 6], ['after training', 6]], 'ResNet-14: six blocks');
  for (const r of ratio) assert.ok(Number.isFinite(r[2]) && r[2] > 0, JSON.stringify(r));
  assert.equal((await page.$$('[data-testid=sparsity-chart] .legend li')).length, 4);
  // The selected block's table: x, F(x), F(x)+x and the output, both times; ReLU output has no negatives.
  const rows = await page.$$eval('[data-testid=block-stats] tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset })));
  assert.equal(rows.length, 8, JSON.stringify(rows));
  for (const r of rows.filter((r) => r.what === 'ReLU(F(x) + x)')) assert.ok(Number(r.min) >= 0 && Number(r.zeros) > 0, JSON.stringify(r));
  for (const r of rows) assert.ok(Number(r.max) >= Number(r.mean) && Number(r.mean) >= Number(r.min), JSON.stringify(r));
  // Histograms of the chosen block: every bin count adds up to the same number of values for x and F(x)+x.
  const count = (id) => page.$$eval(`[data-testid=${id}] tr`, (trs) => trs.reduce((a, tr) => a + Number(tr.dataset.value || 0), 0));
  const [hx, hf, hs] = [await count('hist-x'), await count('hist-f'), await count('hist-sum')];
  assert.ok(hx > 0 && hf === hs, `${hx} ${hf} ${hs}`);
  assert.ok(await canvasHasInk(page, '[data-testid=ratio-chart]') > 50);
  // A histogram's data as CSV: a header and its 20 bins.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=hist-x-csv]')]);
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'label,values');
  assert.equal(csv.length, 21);
  assert.match(await page.textContent('[data-testid=readout]'), /Mean ‖F\(x\)‖\/‖x‖ over the blocks went from [0-9.e-]+ at initialisation to [0-9.e-]+ after training/);
  // Another block through the picker, with the keyboard.
  await page.focus('#block');
  await page.keyboard.press('End');
  await page.waitForFunction(() => /Block 6 of 6/.test(document.querySelector('#block-title').textContent));
  assert.match(page.url(), /block=6/);
  await page.waitForTimeout(300);
  await screenshot(page, 'ex3');
  assert.deepEqual(page.errors, []);
});

test('Exercise 3 on WebGPU: a tiny ResNet measured before and after training', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=ex3&backend=webgpu&depth=8&width=4&data=gratings&samples=40&size=8&epochs=1&batch=8`);
  await page.waitForSelector('[data-testid=backend][data-backend=webgpu], [data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.equal(await page.getAttribute('[data-testid=backend]', 'data-backend'), 'webgpu');
  await trainAndMeasure(page, 300_000);
  assert.equal((await page.$$('[data-testid=block-stats] tbody tr')).length, 8);
  assert.deepEqual(page.errors, []);
});
