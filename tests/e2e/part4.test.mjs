// Part 4: a ResNet on Fashion-MNIST with live gradient monitoring.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);

test('Part 4 trains a ResNet on Fashion-MNIST; loss, gradient norm and the per-layer heat strip fill in live', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part4&depth=8&width=8&samples=480&epochs=2&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  // While it runs, the strip already has columns: it is live, not drawn at the end.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=heat-strip]').dataset.steps) >= 3, null, { timeout: 120_000 });
  const midRun = await page.getAttribute('[data-testid=progress]', 'data-phase');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 180_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done');
  assert.equal(midRun, 'running');
  const strip = await page.$eval('[data-testid=heat-strip]', (e) => ({ ...e.dataset }));
  // ResNet-8: stem conv + 3 blocks × 2 convs + classifier = 8 weight layers (option A adds none).
  assert.deepEqual([strip.steps, strip.layers], ['24', '8']);
  const painted = await page.$eval('[data-testid=heat-strip] canvas', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4 * 37) colours.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
    return colours.size;
  });
  assert.ok(painted > 20, `heat strip shows a range of colours (${painted})`);
  // Each layer's label sits on its row, the classifier's on the last one; a colour bar gives the range.
  const rows = await page.$eval('[data-testid=heat-strip]', (f) => {
    const c = f.querySelector('canvas').getBoundingClientRect();
    const h = c.height / Number(f.dataset.layers);
    return [...f.querySelectorAll('.heat-labels li')].map((li, i) => {
      const b = li.getBoundingClientRect();
      return [li.textContent, Math.abs(b.top + b.height / 2 - (c.top + (i + 0.5) * h))];
    });
  });
  assert.equal(rows.length, 8);
  assert.equal(rows.at(-1)[0], 'fc');
  for (const [label, off] of rows) assert.ok(off < 2, `${label} is ${off.toFixed(1)} px off its row`);
  const scale = await page.$eval('[data-testid=heat-strip-scale]', (e) => [Number(e.dataset.lo), Number(e.dataset.hi)]);
  assert.ok(scale[0] > 0 && scale[1] > scale[0], JSON.stringify(scale));
  assert.ok(await canvasHasInk(page, '[data-testid=gradnorm-chart]') > 200);
  const d = await page.$eval('[data-testid=details] li', (li) => ({ ...li.dataset }));
  assert.equal(d.series, 'ResNet-8');
  assert.ok(Number(d.finalLoss) < Number(d.firstLoss), JSON.stringify(d));
  assert.match(await page.textContent("[data-testid=readout]"), /Per-layer gradient norm late in the run \(median of steps \d+–\d+\) ranged from/);
  await screenshot(page, 'part4');
  assert.deepEqual(page.errors, []);
});
