// The notebook pages on WebGPU (SwiftShader in headless Chromium: a real WebGPU device, slow), with
// tiny settings: the block probe, the model table and a plain-vs-residual run go through burn's wgpu
// backend and its async reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot } from './harness.mjs';

const site = useSite(before, after);

async function onWebgpu(page, url) {
  await page.goto(`${site.base}${url}&backend=webgpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=webgpu], [data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.equal(await page.getAttribute('[data-testid=backend]', 'data-backend'), 'webgpu');
}

test('Part 2 and Part 3 measure on WebGPU', async () => {
  const page = await openPage(site.browser);
  await onWebgpu(page, '?page=part2&cin=4&width=8&stride=2&size=8');
  await page.waitForSelector('[data-testid=diagram] g[data-stage="relu → output"]', { timeout: 180_000 });
  assert.equal(await page.$eval('[data-testid=diagram] g[data-stage="relu → output"]', (g) => g.dataset.shape), '[2, 8, 4, 4]');
  const g = await page.$$eval('[data-testid=grad-paths] tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.dataset.label, Number(tr.dataset.value)])));
  assert.ok(g['through F(x)'] > 0 && g['through the shortcut'] > 0, JSON.stringify(g));

  await onWebgpu(page, '?page=part3&models=resnet20&size=32');
  await page.click('[data-testid=measure]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 300_000 });
  const row = await page.$eval('[data-testid=arch-table] tbody tr', (tr) => ({ ...tr.dataset }));
  assert.equal(row.params, '269722');
  assert.ok(Number(row.ms) > 0);
  assert.deepEqual(page.errors, []);
});

test('Part 6 trains both twins on WebGPU with finite, falling losses', async () => {
  const page = await openPage(site.browser);
  await onWebgpu(page, '?page=part6&depth=8&width=4&samples=40&size=8&epochs=3&batch=8&lr=0.05');
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 540_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));
  const d = await page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => ({ ...li.dataset })));
  assert.deepEqual(d.map((s) => s.series), ['Plain-8', 'ResNet-8']);
  for (const s of d) assert.ok(Number.isFinite(Number(s.finalLoss)) && Number(s.finalLoss) < Number(s.firstLoss), JSON.stringify(s));
  await screenshot(page, 'part6-webgpu');
  assert.deepEqual(page.errors, []);
});

test('Variants: a DenseNet (concatenation, ceil-mode pooling) and a ResNeXt (grouped conv) train on WebGPU', async () => {
  const page = await openPage(site.browser);
  await onWebgpu(page, '?page=variants&nets=densenet-bc-10-2@4,resnext11-2x32d@4&samples=40&size=8&epochs=1&batch=8&lr=0.05');
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 400_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));
  const rows = await page.$$eval('[data-testid=tradeoffs] tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset })));
  const planned = await page.$$eval('[data-testid=lineup] li', (lis) => lis.map((li) => li.dataset.params));
  assert.deepEqual(rows.map((r) => r.params), planned);
  for (const r of rows) assert.ok(Number(r.stepMs) > 0 && Number(r.valAcc) >= 0, JSON.stringify(r));
  const losses = await page.$$eval('[data-testid=loss-chart] .legend li', (lis) => lis.map((li) => Number(li.dataset.last)));
  for (const l of losses) assert.ok(Number.isFinite(l), JSON.stringify(losses));
  assert.deepEqual(page.errors, []);
});

test('A net trained on WebGPU in Part 4 is kept as a burn record and measured again in Exercise 3', async () => {
  const page = await openPage(site.browser);
  await onWebgpu(page, '?page=part4&depth=8&width=4&data=gratings&samples=40&size=8&epochs=1&batch=8');
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=saved-note]', { timeout: 300_000 });
  assert.match(await page.textContent('[data-testid=saved-note]'), /ResNet-8 is kept in this tab/);
  await onWebgpu(page, '?page=ex3');
  await page.waitForSelector('[data-testid=use-part4]', { timeout: 60_000 });
  await page.click('[data-testid=use-part4]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=ratio-chart] .legend li').length === 1, null, { timeout: 300_000 });
  const [series] = await page.$$eval('[data-testid=ratio-chart] .legend li', (lis) => lis.map((li) => ({ ...li.dataset })));
  assert.equal(series.series, 'after training');
  assert.equal(series.points, '3');
  assert.ok(Number.isFinite(Number(series.last)) && Number(series.last) > 0, JSON.stringify(series));
  assert.deepEqual(page.errors, []);
});

test('A checkpoint made on the CPU resumes on WebGPU: the epoch counter continues', async () => {
  const page = await openPage(site.browser);
  const url = '?page=pipeline&model=resnet20&width=2&samples=80&batch=32&warmup=0&checkpoints=1';
  await page.goto(`${site.base}${url}&epochs=1&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 120_000 });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=checkpoint-list] tbody tr').length === 1);
  await onWebgpu(page, `${url}&epochs=2`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=checkpoint-list] tbody tr').length === 1);
  await page.click('[data-testid=checkpoint-list] tbody tr[data-epoch="1"] [data-testid=resume]');
  await page.waitForSelector('[data-testid=progress][data-phase=running]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 300_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));
  assert.equal(await page.getAttribute('[data-testid=epoch-status]', 'data-epoch'), '2');
  const loss = await page.$$eval('[data-testid=loss-chart] .legend li', (lis) => lis.map((li) => ({ ...li.dataset })));
  assert.equal(loss.length, 1);
  // 64 training images at batch 32: the second epoch's 2 steps, with finite losses.
  assert.equal(loss[0].points, '2');
  assert.ok(Number.isFinite(Number(loss[0].last)), JSON.stringify(loss));
  assert.deepEqual(page.errors, []);
});

/// The page's one compute worker (playwright can evaluate inside it, as a driver reset cannot be staged).
async function computeWorker(page) {
  for (let i = 0; i < 100 && page.workers().length === 0; i++) await page.waitForTimeout(100);
  assert.equal(page.workers().length, 1);
  return page.workers()[0];
}

/// Starts a small WebGPU run on Part 1 and waits for its first plotted step.
async function startRun(page) {
  const t0 = Date.now();
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=running]', { timeout: 10_000 });
  await page.waitForSelector('[data-testid=loss-chart] .legend li:not([data-points="0"]), [data-testid=progress][data-phase=failed]', { timeout: 120_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'running', await page.textContent('.progress-text'));
  console.log(`first WebGPU step plotted after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/// After a lost GPU: the badge shows a fresh worker's backend and the same page trains to the end.
async function trainsAgain(page) {
  await page.waitForSelector('[data-testid=backend][data-backend=webgpu], [data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 300_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));
  const d = await page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => Number(li.dataset.finalLoss)));
  assert.ok(d.length === 1 && Number.isFinite(d[0]), JSON.stringify(d));
}

const SMALL = '?page=part1&depths=4&width=4&samples=64&size=8&batch=8&epochs=30';

test('WebGPU device lost mid-run: the run ends with a message, a fresh worker trains in the same page', async () => {
  const page = await openPage(site.browser);
  await onWebgpu(page, SMALL);
  await startRun(page);
  // What a driver reset does to the tab: the device burn trains on is lost.
  await (await computeWorker(page)).evaluate(() => self.__labGpuDevice.destroy());
  await page.waitForSelector('[data-testid=progress][data-phase=failed]', { timeout: 30_000 });
  const said = await page.textContent('.progress-text');
  assert.match(said, /GPU stopped answering/);
  assert.match(said, /device lost \(destroyed/);
  await screenshot(page, 'webgpu-device-lost');
  await page.fill('#epochs', '2');
  await trainsAgain(page);
});

test('A GPU read that never resolves: the watchdog ends the run after ?gpu_timeout=, a fresh worker trains', async () => {
  const page = await openPage(site.browser);
  // 20 s: SwiftShader's first step (shader compilation, no message meanwhile) takes 7-8 s here.
  await onWebgpu(page, `${SMALL}&gpu_timeout=20`);
  await startRun(page);
  // Every later read of a GPU buffer hangs, as on a wedged driver.
  await (await computeWorker(page)).evaluate(() => { GPUBuffer.prototype.mapAsync = () => new Promise(() => {}); });
  const t0 = Date.now();
  await page.waitForSelector('[data-testid=progress][data-phase=failed]', { timeout: 30_000 });
  const waited = (Date.now() - t0) / 1000;
  assert.ok(waited >= 17 && waited < 45, `ended after ${waited} s`);
  assert.match(await page.textContent('.progress-text'), /GPU gave no answer for 2[0-4] s/);
  assert.match(page.url(), /gpu_timeout=20/);
  await page.fill('#epochs', '2');
  await trainsAgain(page);
});
