// Part 1 and the landing page, driven in real headless Chromium as a student would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, watchLongTasks, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);

async function details(page) {
  return page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => ({
    series: li.dataset.series,
    first: Number(li.dataset.firstLoss),
    final: Number(li.dataset.finalLoss),
    ips: Number(li.dataset.ips),
  })));
}

async function waitForBackend(page, expected) {
  await page.waitForSelector(`[data-testid=backend][data-backend=${expected}]`, { timeout: 120_000 });
}

async function trainAndWait(page, timeout) {
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=running]', { timeout: 10_000 });
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout });
  return page.getAttribute('[data-testid=progress]', 'data-phase');
}

test('landing page lists every Part and Exercise; unbuilt ones say so', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?backend=cpu`);
  await page.waitForSelector('[data-testid=card-part1]');
  for (const slug of ['data', 'part1', 'part2', 'part3', 'part4', 'part5', 'part6', 'part7', 'ex1', 'ex2', 'ex3', 'ex4', 'ex5', 'nas', 'visualise', 'variants', 'pipeline']) {
    assert.ok(await page.$(`[data-testid=card-${slug}]`), `card ${slug}`);
  }
  assert.equal(await page.getAttribute('[data-testid=card-part1]', 'href'), '?page=part1&backend=cpu');
  assert.doesNotMatch(await page.textContent('[data-testid=card-part2]'), /Not built yet/);
  assert.doesNotMatch(await page.textContent('[data-testid=card-ex1]'), /Not built yet/);
  assert.doesNotMatch(await page.textContent('[data-testid=card-ex2]'), /Not built yet/);
  for (const built of ['ex3', 'ex4', 'ex5', 'nas', 'visualise', 'variants', 'pipeline']) assert.doesNotMatch(await page.textContent(`[data-testid=card-${built}]`), /Not built yet/);
  await waitForBackend(page, 'cpu');
  assert.match(await page.textContent('[data-testid=backend-note]'), /backend=cpu/);
  await screenshot(page, 'landing');
  assert.deepEqual(page.errors, []);
});

test('Part 1 on the CPU: two depths train live, losses fall, the page never freezes, the URL keeps the settings', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?backend=cpu`);
  await page.click('[data-testid=card-part1]');
  await page.waitForURL(/page=part1/);
  await page.waitForSelector('#depth-0');
  // Keep two networks: remove the third, then set depths with the keyboard, as a user can.
  await page.click('button[aria-label="Remove network 3"]');
  assert.equal((await page.$$('[data-testid=depth-row]')).length, 2);
  await page.focus('#depth-0');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft'); // 8 → 4
  await page.focus('#depth-1');
  for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowRight'); // 16 → 20
  await page.focus('#epochs');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowLeft'); // 5 → 2
  assert.equal(await page.inputValue('#depth-0'), '4');
  assert.equal(await page.inputValue('#depth-1'), '20');
  await waitForBackend(page, 'cpu');
  await watchLongTasks(page);
  const phase = await trainAndWait(page, 240_000);
  assert.equal(phase, 'done');

  const legend = await page.$$eval('[data-testid=loss-chart] .legend li', (lis) => lis.map((li) => li.dataset.series));
  assert.deepEqual(legend, ['Plain-4', 'Plain-20']);
  const runs = await details(page);
  assert.equal(runs.length, 2);
  for (const r of runs) {
    assert.ok(Number.isFinite(r.first) && Number.isFinite(r.final), JSON.stringify(r));
    assert.ok(r.final < r.first, `loss fell for ${r.series}: ${JSON.stringify(r)}`);
  }
  assert.ok(await canvasHasInk(page, '[data-testid=loss-chart]') > 200, 'loss chart has curves');
  assert.ok(await canvasHasInk(page, '[data-testid=grad-chart]') > 100, 'gradient chart has curves');
  assert.match(await page.textContent('[data-testid=readout]'), /Training loss in the last epoch: Plain-4 [0-9.]+, Plain-20 [0-9.]+/);
  // "did not learn (chance level)" appears exactly for the series at chance (10 classes: ln 10, 10%).
  {
    const all = await page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => ({ s: li.dataset.series, loss: Number(li.dataset.finalLoss), acc: Number(li.dataset.valAcc) })));
    const said = await page.textContent('[data-testid=readout]');
    for (const d of all) assert.equal(said.includes(`${d.s} did not learn (chance level)`), d.loss >= 0.95 * Math.log(10) || d.acc <= 0.12, JSON.stringify(d));
  }
  const longTasks = await page.evaluate(() => window.__longTasks);
  const worst = Math.max(0, ...longTasks);
  console.log(`main-thread long tasks during training: ${longTasks.length}, longest ${worst.toFixed(0)} ms`);
  assert.ok(worst <= 100, `main thread blocked for ${worst} ms`);
  await screenshot(page, 'part1-cpu');

  // The URL holds the settings: a reload brings them back.
  assert.match(page.url(), /depths=4,20/);
  await page.reload();
  await page.waitForSelector('#depth-1');
  assert.equal(await page.inputValue('#depth-0'), '4');
  assert.equal(await page.inputValue('#depth-1'), '20');
  assert.equal(await page.inputValue('#epochs'), '2');
  assert.deepEqual(page.errors, []);
});

/// The chart legend's full-precision first and last value of a series.
async function legendEnds(page, chart, series) {
  return page.$eval(`[data-testid=${chart}] .legend li[data-series="${series}"]`, (li) => [Number(li.dataset.first), Number(li.dataset.last), Number(li.dataset.points)]);
}

/// "… 504× the last layer's" → 504; "… 20.4× smaller than the last layer's" → 1/20.4.
function ratioFrom(sentence, which) {
  const parts = [...sentence.matchAll(/([0-9.e+-]+)× (smaller than )?the last layer's/g)];
  const m = parts[which];
  assert.ok(m, `no ratio #${which} in: ${sentence}`);
  return m[2] ? 1 / Number(m[1]) : Number(m[1]);
}

test('Part 1: the gradient profile at initialisation and late in the run, and a readout that quotes the charts', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part1&backend=cpu&depths=8,32&epochs=2`);
  await waitForBackend(page, 'cpu');
  assert.equal(await trainAndWait(page, 240_000), 'done');
  for (const chart of ['grad-init-chart', 'grad-chart']) {
    const series = await page.$$eval(`[data-testid=${chart}] .legend li`, (lis) => lis.map((li) => [li.dataset.series, Number(li.dataset.points)]));
    assert.deepEqual(series, [['Plain-8', 8], ['Plain-32', 32]], `${chart}: one point per weight layer`);
    assert.ok(await canvasHasInk(page, `[data-testid=${chart}]`) > 100, `${chart} drawn`);
  }
  assert.match(await page.textContent('[data-testid=grad-chart] figcaption'), /median of steps \d+–\d+/);
  const readout = await page.$$eval('[data-testid=readout] li', (lis) => lis.map((li) => li.textContent));
  for (const net of ['Plain-8', 'Plain-32']) {
    const sentence = readout.find((s) => s.startsWith(`${net}: `) && /step 1/.test(s));
    assert.ok(sentence, `a gradient sentence for ${net}: ${JSON.stringify(readout)}`);
    const [f0, l0] = await legendEnds(page, 'grad-init-chart', net);
    const [f1, l1] = await legendEnds(page, 'grad-chart', net);
    for (const [which, expected] of [[0, f0 / l0], [1, f1 / l1]]) {
      const said = ratioFrom(sentence, which);
      assert.ok(Math.abs(said / expected - 1) < 0.01, `${net} ratio #${which}: readout ${said} vs chart ${expected}`);
    }
  }
  // The scrubber shows one step's profile.
  await page.selectOption('[data-testid=grad-when]', 'step');
  await page.waitForSelector('[data-testid=grad-step]');
  await page.fill('[data-testid=grad-step]', '1');
  await page.waitForFunction(() => /at step 1\b/.test(document.querySelector('[data-testid=grad-chart] figcaption').textContent));
  const [f, l] = await legendEnds(page, 'grad-chart', 'Plain-32');
  const [fi, li] = await legendEnds(page, 'grad-init-chart', 'Plain-32');
  assert.deepEqual([f, l], [fi, li], 'step 1 through the scrubber equals the initialisation profile');
  await screenshot(page, 'part1-profiles');
  assert.deepEqual(page.errors, []);
});

test('Part 1: Cancel stops a run within a step and the page stays usable', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part1&backend=cpu&depths=20,40&epochs=20&samples=800`);
  await waitForBackend(page, 'cpu');
  await page.click('[data-testid=train]');
  await page.waitForFunction(() => /step [1-9]/.test(document.querySelector('.progress-text')?.textContent || ''), null, { timeout: 60_000 });
  await page.click('[data-testid=cancel]');
  await page.waitForSelector('[data-testid=progress][data-phase=cancelled]', { timeout: 15_000 });
  assert.match(await page.textContent('.progress-text'), /cancelled after \d+ of \d+ steps/);
  assert.equal(await page.isEnabled('[data-testid=train]'), true);
  assert.deepEqual(page.errors, []);
});

test('Part 1: out-of-range URL values are clamped with a visible note', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part1&backend=cpu&depths=2,999&width=0&skip=sideways&lr=abc`);
  await page.waitForSelector('[data-testid=clamp-notes]');
  const notes = await page.textContent('[data-testid=clamp-notes]');
  assert.match(notes, /sideways/);
  assert.match(notes, /999/);
  assert.equal(await page.inputValue('#depth-0'), '4');
  assert.equal(await page.inputValue('#depth-1'), '60');
  assert.equal(await page.inputValue('#width'), '2');
  await screenshot(page, 'part1-clamped');
  // An unknown page is reported, not a blank screen.
  await page.goto(`${site.base}?page=nope&backend=cpu`);
  assert.match(await page.textContent('main'), /no page called 'nope'/);
  assert.deepEqual(page.errors, []);
});

test('Part 1 on WebGPU (SwiftShader here): a tiny net trains with finite, falling loss', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part1&backend=webgpu&depths=4&width=4&samples=40&size=8&epochs=4&batch=8&lr=0.05`);
  await page.waitForSelector('[data-testid=backend][data-backend=webgpu], [data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  const backend = await page.getAttribute('[data-testid=backend]', 'data-backend');
  assert.equal(backend, 'webgpu', `WebGPU adapter expected; note: ${await page.textContent('.backend').catch(() => '')}`);
  const phase = await trainAndWait(page, 540_000);
  assert.equal(phase, 'done', await page.textContent('.progress-text'));
  const [r] = await details(page);
  assert.ok(Number.isFinite(r.first) && Number.isFinite(r.final), JSON.stringify(r));
  assert.ok(r.final < r.first, `loss fell on WebGPU: ${JSON.stringify(r)}`);
  await screenshot(page, 'part1-webgpu');
  assert.deepEqual(page.errors, []);
});

test('Part 1: the previous run stays on the loss chart, faded, when the next one trains (plain, then residual)', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part1&backend=cpu&depths=4,8&width=4&samples=160&epochs=2&batch=32&skip=plain`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.match(await page.textContent('[data-testid=estimate]'), /The first run in this tab measures its pace/);
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 120_000 });
  assert.equal(await page.$('[data-testid=loss-chart-previous]'), null, 'nothing before the first run');
  // Every data and training control says what it means, and screen readers read it with the control.
  const undescribed = await page.$$eval('fieldset', (fs) => {
    const training = fs.find((f) => f.querySelector('legend')?.textContent === 'Data and training');
    return [...training.querySelectorAll('input, select')]
      .filter((c) => !(document.getElementById(c.getAttribute('aria-describedby') || '')?.textContent.trim().length > 10))
      .map((c) => c.id);
  });
  assert.deepEqual(undescribed, [], 'every data and training control is described');
  const plain = await page.$$eval('[data-testid=loss-chart] .legend:not(.previous) li', (lis) => lis.map((li) => [li.dataset.series, li.dataset.last]));
  // The run measured this tab's pace: the next run's time is estimated beside Train, and twice the
  // epochs are estimated at twice the time (steps and held-out passes both double).
  const secs = async () => Number(await page.getAttribute('[data-testid=estimate]', 'data-secs'));
  const two = await secs();
  assert.ok(two > 0 && Number.isFinite(two), `${two}`);
  assert.match(await page.textContent('[data-testid=estimate]'), /(about \d+ (s|min)|under a second) here/);
  await page.$eval('#epochs', (e) => { e.value = '4'; e.dispatchEvent(new Event('input', { bubbles: true })); });
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid=estimate]').dataset.secs) !== t, two);
  assert.ok(Math.abs((await secs()) / two - 2) < 1e-6, `${await secs()} vs ${two}`);
  await page.$eval('#epochs', (e) => { e.value = '2'; e.dispatchEvent(new Event('input', { bubbles: true })); });
  await page.check('[data-testid=skip-residual]');
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 120_000 });
  // The plain curves, exactly as they ended, are listed as the previous run; the residual ones as this run.
  const previous = await page.$$eval('[data-testid=loss-chart-previous] li', (lis) => lis.map((li) => [li.dataset.series, li.dataset.last]));
  assert.deepEqual(previous, plain);
  assert.match(plain.map((p) => p[0]).join(','), /Plain/);
  const now = await page.$$eval('[data-testid=loss-chart] .legend:not(.previous) li', (lis) => lis.map((li) => li.dataset.series));
  assert.equal(now.length, 2);
  assert.doesNotMatch(now.join(','), /Plain/);
  await screenshot(page, 'part1-previous');
  assert.deepEqual(page.errors, []);
});

test('Back to Part 1 shows the last run of the same settings again; other settings start empty', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?backend=cpu&page=part1&depths=4,6&width=4&samples=64&size=8&batch=16&epochs=2`);
  await waitForBackend(page, 'cpu');
  assert.equal(await trainAndWait(page, 120_000), 'done');
  const ran = await details(page);
  assert.equal(ran.length, 2);
  // Leave for the landing page, then come Back: a new document and a new worker, the same results.
  await page.click('a.brand');
  await page.waitForSelector('[data-testid=card-part1]');
  await page.goBack();
  await page.waitForSelector('[data-testid=details] li', { timeout: 10_000 });
  const back = await details(page);
  assert.deepEqual(back.map((r) => [r.series, r.first, r.final]), ran.map((r) => [r.series, r.first, r.final]));
  assert.match(await page.textContent('.progress-text'), /finished \d+ steps .*your last run of these settings in this tab/);
  assert.ok(await canvasHasInk(page, '[data-testid=loss-chart]') > 200, 'the curves are drawn again');
  await screenshot(page, 'part1-back');
  // Other settings (another URL) were never run: nothing is shown for them.
  await page.goto(`${site.base}?backend=cpu&page=part1&depths=4,8&width=4&samples=64&size=8&batch=16&epochs=2`);
  await page.waitForSelector('#depth-1');
  assert.equal((await page.$$('[data-testid=details] li')).length, 0);
  assert.deepEqual(page.errors, []);
});
