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

test('Part 6 repeats the pair with 3 seeds: the page seed reproduces, means and whiskers agree with each seed, the verdict follows the ranges', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part6&depth=8&width=4&samples=96&size=8&epochs=2&batch=16&seed=7&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 120_000 });
  const single = await page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => ({ s: li.dataset.series, loss: li.dataset.finalLoss, acc: li.dataset.valAcc })));

  await page.click('[data-testid=seeds-train]');
  await page.waitForSelector('[data-testid=seeds-progress][data-phase=running]', { timeout: 10_000 });
  await page.waitForSelector('[data-testid=seeds-progress]:not([data-phase=running])', { timeout: 180_000 });
  assert.equal(await page.getAttribute('[data-testid=seeds-progress]', 'data-phase'), 'done');
  const runs = await page.$$eval('[data-testid=seeds-details] li', (lis) => lis.map((li) => ({ s: li.dataset.series, loss: li.dataset.finalLoss, acc: li.dataset.valAcc })));
  assert.deepEqual(runs.map((r) => r.s), ['Plain-8 (seed 7)', 'Plain-8 (seed 8)', 'Plain-8 (seed 9)', 'ResNet-8 (seed 7)', 'ResNet-8 (seed 8)', 'ResNet-8 (seed 9)']);
  // The same seed gives the same run: seed 7 repeats the page's own run to the last digit.
  for (const one of single) {
    const again = runs.find((r) => r.s === `${one.s} (seed 7)`);
    assert.deepEqual([again.loss, again.acc], [one.loss, one.acc], one.s);
  }
  // Other seeds give other runs (otherwise the spread would mean nothing).
  assert.ok(new Set(runs.slice(0, 3).map((r) => r.loss)).size === 3, JSON.stringify(runs));
  // The bars: the mean of each net's seeds, whiskers from the lowest to the highest.
  const rows = await page.$$eval('[data-testid=seeds-accuracy] tr', (trs) => trs.map((tr) => ({ label: tr.dataset.label, value: Number(tr.dataset.value), text: tr.textContent })));
  assert.deepEqual(rows.map((r) => r.label), ['Plain-8', 'ResNet-8']);
  const acc = (net) => runs.filter((r) => r.s.startsWith(`${net} (`)).map((r) => Number(r.acc) * 100);
  for (const row of rows) {
    const xs = acc(row.label);
    assert.ok(Math.abs(row.value - xs.reduce((a, b) => a + b) / 3) < 1e-3, `${row.label}: ${row.value} vs ${xs}`);
    assert.match(row.text, new RegExp(`\\(${Math.min(...xs).toFixed(1)}% to ${Math.max(...xs).toFixed(1)}%\\)`));
  }
  // The verdict follows from the per-seed numbers: apart when every seed of one beats every seed of the other.
  const [p, r] = [acc('Plain-8'), acc('ResNet-8')];
  const apart = Math.min(...p) > Math.max(...r) || Math.min(...r) > Math.max(...p);
  const said = await page.textContent('[data-testid=seeds-readout]');
  assert.match(said, apart ? /By held-out accuracy, every seed of/ : /By held-out accuracy, the seeds of .* overlap/);
  assert.ok(await canvasHasInk(page, '[data-testid=seeds-accuracy]') > 200);
  await screenshot(page, 'part6-seeds');
  assert.deepEqual(page.errors, []);
});
