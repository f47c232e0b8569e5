// Part 2: a real BasicBlock, its measured shapes drawn, and the gradient split by path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);

const paths = (page) => page.$$eval('[data-testid=grad-paths] tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.dataset.label, Number(tr.dataset.value)])));
const stage = (page, name) => page.$eval(`[data-testid=diagram] g[data-stage="${name}"]`, (g) => g.dataset.shape);

test('Part 2 measures a block: shapes per stage, the skip path, and gradients that add up', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part2&backend=cpu`);
  await page.waitForSelector('[data-testid=diagram] g[data-stage="relu → output"]', { timeout: 120_000 });
  assert.equal(await stage(page, 'input x'), '[2, 16, 16, 16]');
  assert.equal(await stage(page, 'relu → output'), '[2, 16, 16, 16]');
  assert.ok(await page.$('[data-testid=skip-path]'));
  let g = await paths(page);
  // Identity shortcut: the gradient through it is exactly g.
  assert.ok(Math.abs(g['through the shortcut'] - g['‖g‖ at the sum']) < 1e-3 * g['‖g‖ at the sum'], JSON.stringify(g));
  assert.ok(g['through F(x)'] > 0);
  assert.ok(await canvasHasInk(page, '[data-testid=grad-paths]') > 300);
  // The two measured paths and autodiff's total: vectors, so the norms obey the triangle inequality, and
  // the vector sum of the paths matches the total within the mismatch the readout measured.
  const [F, S, T] = [g['through F(x)'], g['through the shortcut'], g['‖∂L/∂x‖ (autodiff)']];
  assert.ok(T <= F + S + 1e-6 && T >= Math.abs(F - S) - 1e-6, JSON.stringify(g));
  const mismatch = Number(await page.getAttribute('[data-testid=grad-mismatch]', 'data-value'));
  assert.ok(mismatch >= 0 && mismatch < 1e-3 * T, `${mismatch} vs ${T}`);
  // The readout says the lengths do not add, with the measured numbers.
  const said = await page.textContent('[data-testid=readout]');
  const [, sum, lengths] = said.match(/the norm of their sum is ([0-9.]+), not ([0-9.]+)/);
  assert.ok(Math.abs(Number(sum) - T) < 1e-3 && Math.abs(Number(lengths) - (F + S)) < 1e-3, `${said} vs ${T}, ${F + S}`);

  // Halve the size and double the channels: shapes follow, the shortcut subsamples and pads.
  await page.selectOption('#stride', '2');
  await page.fill('#output-channels', '32');
  await page.waitForFunction(() => document.querySelector('[data-testid=diagram] g[data-stage="relu → output"]')?.dataset.shape === '[2, 32, 8, 8]');
  assert.match(await page.textContent('[data-testid=skip-path]'), /subsample \+ zero-pad/);
  assert.match(page.url(), /stride=2/);
  await page.waitForTimeout(300);
  await screenshot(page, 'part2');

  await page.selectOption('#skip', 'none');
  await page.waitForSelector('[data-testid=no-skip]');
  await page.waitForFunction(() => document.querySelector('[data-testid=grad-paths] tr[data-label="through the shortcut"]')?.dataset.value === '0');
  g = await paths(page);
  assert.ok(Math.abs(g['through F(x)'] - g['‖∂L/∂x‖ (autodiff)']) < 1e-3 * g['through F(x)'], JSON.stringify(g));
  assert.deepEqual(page.errors, []);
});

test('Part 2: an identity shortcut that would shrink x is explained, not sent, and the page recovers', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part2&backend=cpu&cin=32&width=16`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.match(await page.textContent('[data-testid=clamp-notes]'), /do not make a block: an identity shortcut cannot take x from 32 down to 16 channels/);
  await page.waitForSelector('.notice.error');
  assert.match(await page.textContent('.notice.error'), /cannot take x from 32 down to 16 channels/);
  assert.equal(await page.$('[data-testid=diagram]'), null);
  // The worker is still alive: widen the output and the block is built and measured.
  await page.fill('#output-channels', '32');
  await page.waitForFunction(() => document.querySelector('[data-testid=diagram] g[data-stage="relu → output"]')?.dataset.shape === '[2, 32, 16, 16]', null, { timeout: 30_000 });
  assert.equal(await page.$('.notice.error'), null);
  assert.equal(await page.getAttribute('[data-testid=backend]', 'data-backend'), 'cpu', 'no worker crash');
  assert.deepEqual(page.errors, []);
});
