// The bonus search in headless Chromium (CPU, tiny nets): a 2-generation search of 3 genomes, its
// fitness chart, population table and drawn best genome, the final three-seed check, and the exports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);
const TINY = 'depth=8&width=4&population=3&generations=2&tournament=2&steps=4&choices=none,identity,channel_weight&data=gratings&samples=80&size=8&batch=16&search_seed=5';

test('Bonus search: two generations of three genomes, the best drawn and checked over three seeds', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=nas&backend=cpu&${TINY}`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.match(await page.textContent('.actions .hint'), /At most \d+ training steps \(3 genes per genome\)/);
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=running]', { timeout: 10_000 });
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 240_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));

  // Fitness chart: best, median and worst with a point for each generation; best never falls (elitism).
  const lines = await page.$$eval('[data-testid=fitness-chart] .legend li', (lis) =>
    lis.map((li) => [li.dataset.series, Number(li.dataset.points), Number(li.dataset.first), Number(li.dataset.last)]));
  assert.deepEqual(lines.map((l) => [l[0], l[1]]), [['best', 2], ['median', 2], ['worst', 2]]);
  const [best, median, worst] = lines;
  assert.ok(best[3] >= best[2] && best[3] >= median[3] && median[3] >= worst[3], JSON.stringify(lines));
  assert.ok(best[3] >= 0 && best[3] <= 100, JSON.stringify(lines));

  // The population table: three genomes of three genes, each with a measured fitness.
  const rows = await page.$$eval('[data-testid=population] tbody tr', (trs) => trs.map((tr) => [tr.dataset.pattern, Number(tr.dataset.fitness)]));
  assert.equal(rows.length, 3);
  for (const [pattern, fitness] of rows) {
    assert.match(pattern, /^[-IW](,[-IW]){2}$/);
    assert.ok(fitness >= 0 && fitness <= 100, `${pattern} ${fitness}`);
  }
  // The generation's best is the chart's last "best" point only if it is the best ever; it can't beat it.
  assert.ok(rows[0][1] <= best[3] + 1e-9);

  // The best genome drawn: three blocks in three stages, each with the code of its gene.
  const diagram = await page.$eval('[data-testid=net-diagram]', (f) => ({
    blocks: Number(f.dataset.blocks), stages: Number(f.dataset.stages), codes: [...f.querySelectorAll('.nd-block')].map((b) => b.dataset.skip).join(','),
  }));
  assert.deepEqual([diagram.blocks, diagram.stages], [3, 3]);
  const readout = await page.textContent('[data-testid=readout]');
  const bestGenome = readout.match(/Best genome: resnet8:([-IW,*.0-9]+)/)[1];
  assert.equal(diagram.codes, bestGenome);

  // The final check: three arms, three seeds each, with a verdict from the numbers.
  const bars = await page.$$eval('[data-testid=finals-chart] tbody tr', (trs) => trs.map((tr) => tr.textContent));
  assert.equal(bars.length, 3, JSON.stringify(bars));
  assert.match(readout, /over 3 seeds: best pattern [0-9.]+% ± [0-9.]+, identity everywhere [0-9.]+% ± [0-9.]+, no skips [0-9.]+% ± [0-9.]+/);
  assert.match(readout, /(beat the plain ResNet by|within the seeds' spread|beat the searched pattern by)/);

  // Export: the best genome as an experiment config that `lab train` reads.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-best]')]);
  const config = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.equal(config.model.pattern, bestGenome);
  assert.equal(config.max_steps, 4);
  assert.equal(config.data.kind, 'gratings');
  await page.waitForTimeout(400);
  assert.ok(await canvasHasInk(page, '[data-testid=fitness-chart]') > 100, 'fitness chart drawn');
  await screenshot(page, 'nas');
  assert.deepEqual(page.errors, []);
});

test('Bonus search: a bad URL is noted and corrected, and Cancel keeps what was found', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=nas&backend=cpu&${TINY}&tournament=9&generations=5&steps=40&choices=gated,identity,none`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  const notes = await page.textContent('[data-testid=clamp-notes]');
  assert.match(notes, /tournament: 9 is more than the population \(3\); using 3/);
  assert.match(notes, /'gated' is not a skip the page knows/);
  await page.click('[data-testid=train]');
  // Cancel once the first generation is on the fitness chart.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=fitness-chart] .legend li')?.dataset.points) >= 1, null, { timeout: 120_000 });
  await page.click('[data-testid=cancel]');
  await page.waitForSelector('[data-testid=progress][data-phase=cancelled]', { timeout: 10_000 });
  const points = await page.$$eval('[data-testid=fitness-chart] .legend li', (lis) => lis.map((li) => Number(li.dataset.points)));
  assert.ok(points.length === 3 && points[0] >= 1, JSON.stringify(points));
  assert.match(await page.textContent('[data-testid=readout]'), /Best genome: resnet8:/);
  assert.equal(await page.isEnabled('[data-testid=train]'), true);
  assert.deepEqual(page.errors, []);
});
