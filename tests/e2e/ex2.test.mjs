// Exercise 2 in headless Chromium: a plain net and its residual twin on the CPU backend with small
// settings, the gradient of every weight layer for both, and a two-depth sweep; then a tiny pair on WebGPU.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);

async function waitDone(page, progress) {
  await page.waitForSelector(`[data-testid=${progress}][data-phase=running]`, { timeout: 10_000 });
  await page.waitForSelector(`[data-testid=${progress}]:not([data-phase=running])`, { timeout: 240_000 });
  return page.getAttribute(`[data-testid=${progress}]`, 'data-phase');
}

async function legend(page, chart) {
  return page.$$eval(`[data-testid=${chart}] .legend li`, (lis) => lis.map((li) => ({ series: li.dataset.series, points: Number(li.dataset.points), first: Number(li.dataset.first) })));
}

test('Exercise 2: plain vs residual at one depth, gradient flow per layer for both, and a depth sweep', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=ex2&backend=cpu&net=cifar&depth=14&width=4&data=gratings&samples=80&size=16&epochs=2&batch=16&sweep=8,20,110&budget=4`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  assert.equal(await waitDone(page, 'progress'), 'done');

  // CIFAR plain-14 / ResNet-14 have 14 weight layers (13 convs + the classifier): one point each.
  for (const chart of ['grad-chart', 'grad-init-chart']) {
    const flow = await legend(page, chart);
    assert.deepEqual(flow.map((l) => [l.series, l.points]), [['Plain-14', 14], ['ResNet-14', 14]], chart);
    for (const l of flow) assert.ok(Number.isFinite(l.first) && l.first > 0, JSON.stringify(l));
  }
  assert.ok(await canvasHasInk(page, '[data-testid=grad-chart]') > 100);
  assert.deepEqual((await legend(page, 'acc-chart')).map((l) => l.points), [2, 2]);
  const readout = await page.textContent('[data-testid=readout]');
  assert.match(readout, /Final training loss: Plain-14 [0-9.]+, ResNet-14 [0-9.]+/);
  assert.match(readout, /Plain-14: .*step 1/);

  // 110 layers on the CPU: the page asks first, with a time estimate from the run above; declined,
  // the sweep runs the depths under the cap.
  assert.match(await page.textContent('[data-testid=sweep-note]'), /\[110\]/);
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await page.click('[data-testid=sweep]');
  assert.equal(await waitDone(page, 'sweep-progress'), 'done');
  assert.match(asked, /would take about \d+ s on this machine/);
  const sweep = await legend(page, 'sweep-loss-chart');
  assert.deepEqual(sweep.map((l) => [l.series, l.points]), [['plain', 2], ['residual', 2]]);
  assert.match(await page.textContent('[data-testid=sweep-readout]'), /Final training loss of the plain nets: 8 layers [0-9.]+, 20 layers [0-9.]+/);
  await page.waitForTimeout(300);
  await screenshot(page, 'ex2');
  assert.deepEqual(page.errors, []);
});

test('Exercise 2 on WebGPU: a tiny plain/residual pair trains', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=ex2&backend=webgpu&net=plainconv&depth=2&width=4&data=gratings&samples=40&size=8&epochs=1&batch=8`);
  await page.waitForSelector('[data-testid=backend][data-backend=webgpu], [data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.equal(await page.getAttribute('[data-testid=backend]', 'data-backend'), 'webgpu');
  await page.click('[data-testid=train]');
  assert.equal(await waitDone(page, 'progress'), 'done', await page.textContent('.progress-text'));
  const flow = await legend(page, 'grad-chart');
  // PlainConvNet(2): stem + 4 convs + classifier.
  assert.deepEqual(flow.map((l) => [l.series, l.points]), [['PlainConvNet(2)', 6], ['ResConvNet(2)', 6]]);
  assert.deepEqual(page.errors, []);
});
