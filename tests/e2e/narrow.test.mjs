// A phone-sized window (390 px): charts are drawn at their displayed size, so their 13-px text stays
// 13 px on screen (a 760-px canvas scaled down to ~330 px made it ~6 px), and they redraw on resize.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);
// CSS pixels of 13-px canvas text, from the canvas's backing size against its displayed size.
const textPx = (page, sel) => page.$eval(`${sel} canvas`, (c) => 13 * (c.clientWidth * devicePixelRatio) / c.width);

test('at 390 px wide the line and bar charts draw their text at ≥ 11 CSS px, and follow a resize', async () => {
  const page = await openPage(site.browser, { width: 390, height: 900 });
  await page.goto(`${site.base}?page=part6&backend=cpu&depth=8&width=4&data=gratings&samples=80&size=8&epochs=1&batch=16`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  // Before a run the chart says it is empty (grey text) rather than drawing a bare 0–1 frame.
  await page.waitForTimeout(400);
  const empty = await page.$eval('[data-testid=loss-chart] canvas', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let grey = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 200 && Math.abs(d[i] - d[i + 2]) < 30) grey++;
    return grey;
  });
  assert.ok(empty > 50, `${empty} grey pixels`);
  assert.equal(await canvasHasInk(page, '[data-testid=loss-chart]'), 0);
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=done]', { timeout: 120_000 });
  await page.waitForTimeout(400);
  const px = await textPx(page, '[data-testid=loss-chart]');
  assert.ok(px >= 11 && px <= 14, `loss chart text at ${px} CSS px`);
  // The dashed chance line: the loss of guessing among gratings' 10 orientations, ln 10.
  assert.ok(Math.abs(Number(await page.getAttribute('[data-testid=loss-chart]', 'data-chance')) - Math.LN10) < 1e-6);
  const width = await page.$eval('[data-testid=loss-chart] canvas', (c) => c.clientWidth);
  assert.ok(width < 390, `${width}`);
  await screenshot(page, 'part6-390px');

  // Wider window: the backing store follows.
  await page.setViewportSize({ width: 1000, height: 900 });
  await page.waitForTimeout(600);
  const wide = await page.$eval('[data-testid=loss-chart] canvas', (c) => [c.width, c.clientWidth * devicePixelRatio]);
  assert.ok(Math.abs(wide[0] - wide[1]) <= 1, JSON.stringify(wide));

  // A bar chart (Part 2's gradient paths), narrow again.
  await page.setViewportSize({ width: 390, height: 900 });
  await page.goto(`${site.base}?page=part2&backend=cpu`);
  await page.waitForSelector('[data-testid=grad-paths] tr', { state: 'attached', timeout: 120_000 });
  await page.waitForTimeout(400);
  const bar = await textPx(page, '[data-testid=grad-paths]');
  assert.ok(bar >= 11 && bar <= 14, `bar chart text at ${bar} CSS px`);
  assert.deepEqual(page.errors, []);
});
