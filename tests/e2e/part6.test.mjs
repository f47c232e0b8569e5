// Part 6: the same depth with and without skips, trained side by side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);

test('Part 6 trains a plain net and its residual twin on the same data and overlays their curves', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part6&depth=8&samples=320&epochs=2&batch=32&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  // Deeper by one step with the keyboard: 8 → 14 (6n+2).
  await page.focus('#depth');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => location.search.includes('depth=14'));
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=running]', { timeout: 10_000 });
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 180_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done');

  for (const chart of ['loss-chart', 'gradnorm-chart', 'grad-chart']) {
    const series = await page.$$eval(`[data-testid=${chart}] .legend li`, (lis) => lis.map((li) => li.dataset.series));
    assert.deepEqual(series, ['Plain-14', 'ResNet-14'], chart);
    assert.ok(await canvasHasInk(page, `[data-testid=${chart}]`) > 200, `${chart} has drawn lines`);
  }
  const points = await page.$$eval('[data-testid=loss-chart] .legend li', (lis) => lis.map((li) => Number(li.dataset.points)));
  assert.deepEqual(points, [16, 16], 'both trained 2 epochs × 8 steps');
  const d = await page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => ({ ...li.dataset })));
  assert.equal(d.length, 2);
  assert.equal(d[0].params, d[1].params, 'option-A shortcuts add no parameters');
  for (const s of d) assert.ok(Number(s.finalLoss) < Number(s.firstLoss), JSON.stringify(s));
  const readout = await page.textContent('[data-testid=readout]');
  assert.match(readout, /Final training loss: Plain-14 \d\.\d{3}, ResNet-14 \d\.\d{3}/);
  assert.match(readout, /First layer.s gradient ÷ last layer.s late in the run/);
  assert.match(readout, /Plain-14: .*at step 1/);
  await screenshot(page, 'part6');
  assert.deepEqual(page.errors, []);
});

test("Part 6 offers the notebook's own pair: ResNet-18 against PlainDeepNet, with their exact parameter counts", async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part6&family=cifar&width=64&samples=80&size=16&epochs=1&batch=16&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.selectOption('#family', 'notebook');
  await page.waitForFunction(() => location.search.includes('family=notebook') && !location.search.includes('depth='));
  assert.equal(await page.isDisabled('#depth'), true, 'the pair has fixed depths');
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 240_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));
  const d = await page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => ({ ...li.dataset })));
  assert.deepEqual(d.map((s) => s.series), ['PlainDeepNet-6', 'ResNet-18']);
  // Built in the worker: the notebook's PlainDeepNet(10) and torchvision's resnet18(num_classes=10).
  assert.deepEqual(d.map((s) => s.params), ['306506', '11181642']);
  assert.deepEqual(page.errors, []);
});
