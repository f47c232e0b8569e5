// Part 5: train a small ResNet, then look at its feature maps for a test image, a drawing and an upload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);

/// A 24-bit BMP (any browser decodes it): a bright diagonal bar on black.
function bmp(w, h) {
  const row = Math.ceil((w * 3) / 4) * 4;
  const buf = Buffer.alloc(54 + row * h);
  buf.write('BM', 0);
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(54, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(w, 18);
  buf.writeInt32LE(h, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(24, 28);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const v = Math.abs(x - y) < 6 ? 255 : 0;
    buf.fill(v, 54 + y * row + x * 3, 54 + y * row + x * 3 + 3);
  }
  return buf;
}

const mapShapes = (page) => page.$$eval('[data-testid=maps] figure', (fs) => fs.map((f) => f.dataset.shape));
const probSum = (page) => page.$$eval('[data-testid=probs] tr', (trs) => trs.reduce((s, tr) => s + Number(tr.dataset.value), 0));

test('Part 5: a net trained on the page shows its stage feature maps and verdict for a test image, a drawing and an upload', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part5&depth=8&width=4&samples=400&epochs=1&backend=cpu`);
  await page.waitForSelector('[data-testid=sample-3]', { timeout: 120_000 });
  await page.click('[data-testid=sample-3]');
  assert.match(await page.textContent('[data-testid=input-name]'), /test image 4 .*Train the network/);
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 180_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done');
  await page.waitForSelector('[data-testid=maps] figure', { timeout: 30_000 });
  // ResNet-8 at width 4 on 28×28: stages of 4, 8, 16 channels at 28, 14, 7 px.
  assert.deepEqual(await mapShapes(page), ['4x28x28', '8x14x14', '16x7x7']);
  assert.ok(Math.abs(await probSum(page) - 1) < 1e-3);
  assert.match(await page.textContent('[data-testid=readout]'), /ResNet-8 says .* with \d+%/);
  const first = await page.textContent('[data-testid=readout]');
  // A test image has a known class: the verdict is marked right or wrong, as the bars say.
  const truth = (await page.getAttribute('[data-testid=sample-3]', 'aria-label')).split(': ')[1];
  const top = await page.$$eval('[data-testid=probs] tr', (trs) => trs.map((tr) => [tr.dataset.label, Number(tr.dataset.value)]).sort((a, b) => b[1] - a[1])[0][0]);
  assert.ok(first.includes(top === truth ? `right: it is a ${truth}` : `wrong: it is a ${truth}`), `${top} vs ${truth}: ${first}`);
  // Every stage's maps are drawn at the same size, whatever their resolution (28, 14, 7 px).
  const widths = await page.$$eval('[data-testid=maps] canvas', (cs) => cs.map((c) => c.width));
  assert.equal(new Set(widths).size, 1, `${widths}`);
  assert.match(await page.textContent('[data-testid=maps] figcaption'), /Stage 1, its first block/);

  // A drawing: drag across the black canvas, then use it.
  const box = await page.locator('[data-testid=draw]').boundingBox();
  await page.mouse.move(box.x + 40, box.y + 40);
  await page.mouse.down();
  for (let i = 0; i <= 20; i++) await page.mouse.move(box.x + 40 + i * 7, box.y + 40 + i * 5);
  await page.mouse.up();
  await page.click('[data-testid=use-drawing]');
  await page.waitForFunction((t) => document.querySelector('[data-testid=readout]').textContent !== t, first);
  assert.match(await page.textContent('[data-testid=input-name]'), /your drawing/);
  // A drawing has no true class; a very confident answer on it gets a word on overconfidence.
  const drawn = await page.textContent('[data-testid=readout]');
  assert.doesNotMatch(drawn, /right: it is|wrong: it is/);
  const topP = await page.$$eval('[data-testid=probs] tr', (trs) => Math.max(...trs.map((tr) => Number(tr.dataset.value))));
  assert.equal(/overconfident/.test(drawn), topP > 0.9, `${topP}: ${drawn}`);
  assert.deepEqual(await mapShapes(page), ['4x28x28', '8x14x14', '16x7x7']);
  await page.waitForTimeout(300);
  const drawingMaps = await page.$$eval('[data-testid=maps] canvas', (cs) => cs.map((c) => c.toDataURL()).join('|'));

  // An uploaded picture, resized by the browser to 28×28 grey.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'img-')), 'bar.bmp');
  fs.writeFileSync(file, bmp(60, 60));
  await page.setInputFiles('[data-testid=upload]', file);
  await page.waitForFunction(() => /bar\.bmp/.test(document.querySelector('[data-testid=input-name]').textContent));
  // The maps shown now are the upload's, not the drawing's: same shapes, different pictures.
  await page.waitForFunction((before) => {
    const cs = [...document.querySelectorAll('[data-testid=maps] canvas')];
    return cs.length === 3 && cs.every((c) => c.width > 10) && cs.map((c) => c.toDataURL()).join('|') !== before;
  }, drawingMaps, { timeout: 30_000 });
  assert.deepEqual(await mapShapes(page), ['4x28x28', '8x14x14', '16x7x7']);
  await page.waitForTimeout(500);
  assert.ok(Math.abs(await probSum(page) - 1) < 1e-3);
  assert.ok(await canvasHasInk(page, '[data-testid=probs]') > 100);
  await screenshot(page, 'part5');
  assert.deepEqual(page.errors, []);
});

test('Part 5 looks inside the net trained on Part 4 in the same tab', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part4&depth=8&width=4&samples=200&epochs=1&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=saved-note]', { timeout: 180_000 });
  assert.match(await page.textContent('[data-testid=saved-note]'), /ResNet-8 is kept in this tab/);
  await page.click('[data-testid=saved-note] a');
  await page.waitForSelector('[data-testid=use-part4]', { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid=use-part4]'), /ResNet-8 trained on Part 4 \(Fashion-MNIST/);
  await page.click('[data-testid=use-part4]');
  await page.waitForSelector('[data-testid=sample-0]', { timeout: 120_000 });
  await page.click('[data-testid=sample-0]');
  await page.waitForSelector('[data-testid=maps] figure', { timeout: 60_000 });
  // Part 4's ResNet-8 is 16 wide at the first stage by default; here 4 (from its URL), 3 stages.
  assert.deepEqual(await page.$$eval('[data-testid=maps] figure', (fs) => fs.map((f) => f.dataset.shape)), ['4x28x28', '8x14x14', '16x7x7']);
  assert.match(await page.textContent('[data-testid=readout]'), /ResNet-8 says/);
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'idle', 'nothing was trained on Part 5');

  // Exercise 3 in the same tab measures the residuals of Part 4's net without training anything.
  await page.goto(`${site.base}?page=ex3&backend=cpu`);
  await page.waitForSelector('[data-testid=use-part4]', { timeout: 60_000 });
  await page.click('[data-testid=use-part4]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=ratio-chart] .legend li').length === 1, null, { timeout: 120_000 });
  assert.deepEqual(await page.$$eval('[data-testid=ratio-chart] .legend li', (lis) => lis.map((li) => [li.dataset.series, Number(li.dataset.points)])), [['after training', 3]]);
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'idle', 'nothing was trained on Exercise 3');
  assert.deepEqual(page.errors, []);
});
