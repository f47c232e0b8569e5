// Visualisations in headless Chromium (CPU, tiny nets, a small grid): two trained nets, their loss
// landscapes streamed row by row, the gradient-flow scrubber, and networks drawn from their plans.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);
const TINY = 'depth=8&width=4&data=gratings&samples=80&size=8&epochs=2&batch=16&grid=5&span=1&images=32&diagram=resnet50';

test('Visualise: two landscapes fill in, their numbers match the map, the scrubber moves, ResNet-50 is drawn', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=visualise&backend=cpu&${TINY}`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });

  // The diagram of ResNet-50: 16 bottleneck blocks in 4 stages (3, 4, 6, 3), before any training.
  const r50 = await page.$eval('[data-testid=net-diagram]', (f) => ({
    blocks: Number(f.dataset.blocks), stages: Number(f.dataset.stages), params: Number(f.dataset.params),
    per: [...f.querySelectorAll('.nd-stage')].map((s) => s.querySelectorAll('.nd-block').length),
  }));
  assert.deepEqual([r50.blocks, r50.stages, r50.per], [16, 4, [3, 4, 6, 3]]);
  assert.equal(r50.params, 25_557_032, 'torchvision\'s count, from the plan');
  // ResNet-152's long stage starts folded.
  await page.fill('[data-testid=diagram-name]', 'resnet152');
  await page.press('[data-testid=diagram-name]', 'Enter');
  await page.waitForSelector('[data-testid=net-diagram][data-blocks="50"]');
  const open = await page.$$eval('[data-testid=net-diagram] .nd-stage', (ds) => ds.map((d) => d.open));
  assert.deepEqual(open, [true, true, false, true]);

  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running]):not([data-phase=idle])', { timeout: 180_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('[data-testid=progress]'));
  // The maps are measured after training (quickly for nets this small: wait for the end, not the start).
  await page.waitForSelector('[data-testid=landscape-progress]:is([data-phase=done], [data-phase=failed], [data-phase=cancelled])', { timeout: 180_000 });
  assert.equal(await page.getAttribute('[data-testid=landscape-progress]', 'data-phase'), 'done', await page.textContent('[data-testid=landscape-progress]'));
  for (const id of ['landscape-plain', 'landscape-resnet']) {
    assert.equal(await page.getAttribute(`[data-testid=${id}]`, 'data-rows'), '5');
    assert.ok(await canvasHasInk(page, `[data-testid=${id}]`) > 1000, `${id} drawn`);
  }

  // Each map's data: 25 finite losses; recompute the share of inner points that curve down (5-point
  // Laplacian < 0) from the CSV and compare it with the readout's figure.
  const readout = await page.textContent('[data-testid=readout]');
  for (const [id, label] of [['landscape-plain', 'Plain-8'], ['landscape-resnet', 'ResNet-8']]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=${id}-csv]`)]);
    const rows = fs.readFileSync(await download.path(), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
    assert.equal(rows.length, 25);
    const L = {};
    for (const [a, b, loss] of rows) {
      assert.ok(Number.isFinite(loss) && loss > 0, `${a},${b}: ${loss}`);
      L[`${a},${b}`] = loss;
    }
    const ax = [-1, -0.5, 0, 0.5, 1];
    let down = 0;
    for (let i = 1; i < 4; i++) for (let j = 1; j < 4; j++) {
      const at = (x, y) => L[`${ax[x]},${ax[y]}`];
      if (at(i + 1, j) + at(i - 1, j) + at(i, j + 1) + at(i, j - 1) - 4 * at(i, j) < 0) down++;
    }
    const share = Math.round((down / 9) * 100);
    assert.match(readout, new RegExp(`${label}: loss [0-9.]+ at the trained weights, [0-9.]+ on average at the edge of the map; the surface curves down at ${share}% of the inner points`));
    assert.equal(Number(await page.getAttribute(`[data-testid=${id}]`, 'data-centre')), L['0,0']);
  }
  assert.match(readout, /(plain net's surface is the rougher|ResNet's surface is the rougher|Both surfaces are about as smooth)/);
  const slice = await page.$$eval('[data-testid=slice-chart] .legend li', (lis) => lis.map((li) => [li.dataset.series, Number(li.dataset.points)]));
  assert.deepEqual(slice, [['Plain-8', 5], ['ResNet-8', 5]]);

  // Gradient flow: the late profile, then step 1 picked with the scrubber — the chart changes to it.
  const late = await page.$$eval('[data-testid=grad-chart] .legend li', (lis) => lis.map((li) => li.dataset.first));
  await page.selectOption('[data-testid=grad-when]', 'step');
  await page.fill('[data-testid=grad-step]', '1');
  await page.waitForTimeout(300);
  const step1 = await page.$$eval('[data-testid=grad-chart] .legend li', (lis) => lis.map((li) => li.dataset.first));
  const init = await page.$$eval('[data-testid=grad-init-chart] .legend li', (lis) => lis.map((li) => li.dataset.first));
  assert.deepEqual(step1, init);
  assert.notDeepEqual(step1, late);
  // Feature evolution: six snapshots (step 0, four in between, the end) of three stages; the scrubber
  // moves between them.
  assert.equal(await page.getAttribute('[data-testid=evolution]', 'data-snapshots'), '6');
  assert.equal(await page.getAttribute('[data-testid=evolution]', 'data-step'), '8', 'the last snapshot first');
  const shapes = await page.$$eval('[data-testid=evolution] figure.maps', (fs) => fs.map((f) => f.dataset.shape));
  assert.deepEqual(shapes, ['4x8x8', '8x4x4', '16x2x2']);
  await page.fill('#evo-shot', '0');
  await page.waitForSelector('[data-testid=evolution][data-step="0"]');
  assert.match(await page.textContent('[data-testid=evolution]'), /At initialisation \(step 0\)/);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=evolution-csv]')]);
  const lines = fs.readFileSync(await csv.path(), 'utf8').trim().split('\n');
  assert.equal(lines.length, 1 + 6 * (256 + 128 + 64), 'every value of every snapshot');
  const [blocks] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=net-diagram-csv]')]);
  assert.equal(fs.readFileSync(await blocks.path(), 'utf8').trim().split('\n').length, 1 + 50, 'ResNet-152: 50 blocks');
  await page.selectOption('#evo-net', '0');
  assert.equal(await page.getAttribute('[data-testid=evolution]', 'data-snapshots'), '6');
  await page.waitForTimeout(300);
  await screenshot(page, 'visualise');
  assert.deepEqual(page.errors, []);
});

test('Visualise: a bad URL is noted, the page stays usable', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=visualise&backend=cpu&grid=12&diagram=vgg16&span=-3`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  const notes = await page.textContent('[data-testid=clamp-notes]');
  assert.match(notes, /grid: 12 has no centre point; using 13/);
  assert.match(notes, /unknown model 'vgg16'/);
  assert.equal(await page.getAttribute('[data-testid=net-diagram]', 'data-blocks'), '9', 'the page\'s ResNet-20 drawn instead');
  assert.deepEqual(page.errors, []);
});
