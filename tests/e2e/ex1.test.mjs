// Exercise 1 in headless Chromium: two plain nets trained on the CPU backend with small settings,
// their first/last-layer gradients per step, the depth sweep's fit, and CSV export; then a tiny run
// on WebGPU.
import fs from 'node:fs';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);
const SMALL = 'net=plainconv&depth_a=2&depth_b=8&width=4&data=gratings&samples=80&size=16&epochs=2&batch=16&lr=0.02';

async function waitDone(page, progress) {
  await page.waitForSelector(`[data-testid=${progress}][data-phase=running]`, { timeout: 10_000 });
  await page.waitForSelector(`[data-testid=${progress}]:not([data-phase=running])`, { timeout: 240_000 });
  return page.getAttribute(`[data-testid=${progress}]`, 'data-phase');
}

async function legend(page, chart) {
  return page.$$eval(`[data-testid=${chart}] .legend li`, (lis) => lis.map((li) => ({ series: li.dataset.series, points: Number(li.dataset.points), last: Number(li.dataset.last) })));
}

test('Exercise 1: two plain nets, gradients per step on a log axis, a depth sweep with a fitted r, CSV export', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=ex1&backend=cpu&${SMALL}&sweep_from=1&sweep_to=7&sweep_every=3&budget=4`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  assert.equal(await waitDone(page, 'progress'), 'done');

  const edges = await legend(page, 'edge-chart');
  assert.deepEqual(edges.map((l) => l.series), ['PlainConvNet(2) first layer', 'PlainConvNet(2) last layer', 'PlainConvNet(8) first layer', 'PlainConvNet(8) last layer']);
  // 64 training images / 16 = 4 steps per epoch, 2 epochs.
  for (const l of edges) assert.ok(l.points === 8 && Number.isFinite(l.last) && l.last > 0, JSON.stringify(l));
  const epochs = await legend(page, 'loss-chart');
  assert.deepEqual(epochs.map((l) => [l.series, l.points]), [['PlainConvNet(2)', 2], ['PlainConvNet(8)', 2]]);
  assert.deepEqual((await legend(page, 'ratio-chart')).map((l) => l.points), [8, 8]);
  assert.ok(await canvasHasInk(page, '[data-testid=edge-chart]') > 100);
  const readout = await page.textContent('[data-testid=readout]');
  assert.match(readout, /Training loss in the last epoch: PlainConvNet\(2\) [0-9.]+, PlainConvNet\(8\) [0-9.]+/);
  assert.match(readout, /Held-out accuracy: PlainConvNet\(2\) [0-9.]+%/);
  // "did not learn (chance level)" appears exactly for the series at chance (10 classes: ln 10, 10%).
  {
    const all = await page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => ({ s: li.dataset.series, loss: Number(li.dataset.finalLoss), acc: Number(li.dataset.valAcc) })));
    const said = await page.textContent('[data-testid=readout]');
    for (const d of all) assert.equal(said.includes(`${d.s} did not learn (chance level)`), d.loss >= 0.95 * Math.log(10) || d.acc <= 0.12, JSON.stringify(d));
  }


  // CSV: every series of the chart, one row per point.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=edge-chart-csv]')]);
  const rows = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert.equal(rows[0], 'series,step,‖∇W‖');
  assert.equal(rows.length, 1 + 4 * 8, 'a header and every point of the four series');

  // The sweep: depths 1, 4, 7 blocks, 4 steps each, fitted on the log scale.
  await page.click('[data-testid=sweep]');
  assert.equal(await waitDone(page, 'sweep-progress'), 'done');
  const sweep = await legend(page, 'sweep-chart');
  assert.equal(sweep[0].points, 3, JSON.stringify(sweep));
  const fit = await page.$eval('[data-testid=fit]', (p) => ({ r: Number(p.dataset.r), r2: Number(p.dataset.r2) }));
  assert.ok(Number.isFinite(fit.r) && fit.r > 0 && Number.isFinite(fit.r2) && fit.r2 <= 1, JSON.stringify(fit));
  assert.match(await page.textContent('[data-testid=sweep-readout]'), new RegExp(`R² = ${fit.r2.toFixed(3).replace('.', '\\.')}`));
  await page.waitForTimeout(300);
  await screenshot(page, 'ex1');
  assert.deepEqual(page.errors, []);
});

test('Exercise 1 on WebGPU: a tiny pair trains', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=ex1&backend=webgpu&net=plainconv&depth_a=1&depth_b=2&width=4&data=gratings&samples=40&size=8&epochs=1&batch=8`);
  await page.waitForSelector('[data-testid=backend][data-backend=webgpu], [data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.equal(await page.getAttribute('[data-testid=backend]', 'data-backend'), 'webgpu');
  await page.click('[data-testid=train]');
  assert.equal(await waitDone(page, 'progress'), 'done', await page.textContent('.progress-text'));
  const edges = await legend(page, 'edge-chart');
  assert.equal(edges.length, 4);
  for (const l of edges) assert.ok(l.points === 4 && Number.isFinite(l.last), JSON.stringify(l));
  assert.deepEqual(page.errors, []);
});
