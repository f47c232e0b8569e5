// Part 7: build a queue, run it, compare, export CSV.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);

test('Part 7 runs three queued configurations (one with a skip per block), compares them and exports a CSV', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part7&queue=8-4-none-basic-relu&samples=160&size=8&epochs=2&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  // Add a second variant from the form: a GELU ResNet-8.
  await page.fill('#depth', '8');
  await page.fill('#width', '4');
  await page.selectOption('#skip', 'identity');
  await page.selectOption('#act', 'gelu');
  await page.click('[data-testid=add]');
  // A third: a skip per block. A pattern of the wrong length is refused; a right one is added.
  await page.selectOption('#act', 'relu');
  await page.selectOption('#skip', 'pattern');
  assert.equal(await page.inputValue('[data-testid=pattern]'), 'I,I,I');
  await page.fill('[data-testid=pattern]', 'I,I');
  assert.match(await page.textContent('[data-testid=pattern-error]'), /2 entries for 3 blocks/);
  assert.equal(await page.isDisabled('[data-testid=add]'), true);
  await page.fill('[data-testid=pattern]', 'W,-,I');
  await page.click('[data-testid=add]');
  const queue = await page.$$eval('[data-testid=queue] li', (lis) => lis.map((li) => li.dataset.label));
  assert.deepEqual(queue, ['Plain-8 width 4', 'ResNet-8 width 4 (identity, gelu)', 'ResNet-8 width 4 ([W,-,I])']);
  await page.waitForFunction(() => location.search.includes('8-4-identity-basic-gelu') && location.search.includes('8-4-W_-_I-basic-relu'));
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 180_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done');
  const results = await page.$$eval('[data-testid=results] tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset })));
  assert.deepEqual(results.map((r) => r.series), queue);
  // The queue's planned parameter counts (computed without burn) equal the trained nets' counts.
  const planned = await page.$$eval('[data-testid=queue] li', (lis) => lis.map((li) => li.dataset.params));
  assert.deepEqual(results.map((r) => r.params), planned);
  for (const r of results) assert.ok(Number.isFinite(Number(r.finalLoss)));
  const legend = await page.$$eval('[data-testid=acc-chart] .legend li', (lis) => lis.map((li) => Number(li.dataset.points)));
  assert.deepEqual(legend, [2, 2, 2], 'one held-out accuracy point per epoch and series');
  assert.ok(await canvasHasInk(page, '[data-testid=loss-chart]') > 200);
  assert.match(await page.textContent('[data-testid=readout]'), /Best held-out accuracy: /);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=csv]')]);
  const text = fs.readFileSync(await download.path(), 'utf8');
  const stepRows = text.split('\n').filter((l) => /^"[^"]+",\d+,[-\d.e]+,[-\d.e]+$/.test(l));
  assert.equal(stepRows.length, 3 * 2 * 4, 'every step of every series (2 epochs × 4 steps each)');
  assert.match(text, /series,params,steps,first_loss,final_loss/);
  await page.waitForTimeout(300);
  await screenshot(page, 'part7');
  assert.deepEqual(page.errors, []);
});
