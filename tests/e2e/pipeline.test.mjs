// The practical pipeline: a schedule with warm-up previewed, a real-data run, per-class results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { useSite, openPage, screenshot } from './harness.mjs';

const site = useSite(before, after);

const legend = (page, id) =>
  page.$$eval(`[data-testid=${id}] .legend li`, (lis) => Object.fromEntries(lis.map((li) => [li.dataset.series, { ...li.dataset }])));

test('Pipeline: warm-up then a milestone previewed and applied; Fashion-MNIST run; confusion matrix sums to the held-out count; a resumed run equals an uninterrupted one', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=pipeline&model=resnet20&width=4&samples=400&epochs=2&batch=32&lr=0.05&warmup=1&schedule=milestones&milestones=2&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  // 320 training images at batch 32: 10 steps per epoch, 20 in all; one warm-up epoch climbs from 0.05/10.
  let lr = await legend(page, 'lr-chart');
  assert.equal(lr.planned.points, '20');
  assert.ok(Math.abs(Number(lr.planned.first) - 0.005) < 1e-7, JSON.stringify(lr));
  // The recommended recipe changes the plan (200 epochs); the model line says so; put it back.
  await page.click('[data-testid=recommended]');
  await page.waitForFunction(() => location.search.includes('epochs=200') && location.search.includes('batch=128'));
  assert.match(await page.textContent('[data-testid=model-size]'), /600 steps/);
  await page.goBack();
  await page.goto(`${site.base}?page=pipeline&model=resnet20&width=4&samples=400&epochs=2&batch=32&lr=0.05&warmup=1&schedule=milestones&milestones=2&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });

  assert.match(await page.textContent('[data-testid=readout]'), /Nothing measured yet/);
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 240_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));
  assert.equal(await page.$('[data-testid=readout-empty]'), null, 'the readout has sentences now');
  lr = await legend(page, 'lr-chart');
  assert.equal(lr.applied.points, '20', 'the run reported the rate of every step');
  assert.equal(lr.applied.first, lr.planned.first);
  assert.equal(lr.applied.last, lr.planned.last);
  // Both epochs, training and held-out.
  const acc = await legend(page, 'epoch-acc');
  assert.equal(acc.training.points, '2');
  assert.equal(acc['held-out'].points, '2');

  // 400 samples: 80 held out. 10 × 10 cells, summing to 80; each row to its class's count.
  await page.waitForSelector('[data-testid=confusion]');
  const total = Number(await page.getAttribute('[data-testid=confusion]', 'data-total'));
  assert.equal(total, 80);
  const rows = await page.$$eval('[data-testid=confusion] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.dataset.count))));
  assert.equal(rows.length, 10);
  for (const r of rows) assert.equal(r.length, 10);
  assert.equal(rows.flat().reduce((a, b) => a + b, 0), 80);
  const correct = rows.reduce((a, r, i) => a + r[i], 0);
  const readout = await page.textContent('[data-testid=readout]');
  assert.ok(readout.includes(`${correct} of 80 held-out images right`), readout);
  // The held-out accuracy of the last epoch is the matrix's diagonal share.
  assert.ok(Math.abs(Number(acc['held-out'].last) - (correct / 80) * 100) < 1e-3, `${acc['held-out'].last} vs ${correct}/80`);
  const bars = await page.$$eval('[data-testid=class-bars] tr', (trs) => trs.length);
  assert.ok(bars >= 10, `${bars} bars`);
  await page.check('[data-testid=confusion-percent]');
  assert.match(await page.textContent('[data-testid=confusion] tbody td'), /%$/);
  if (correct < 80) {
    // Grey images: count dark pixels rather than coloured ones.
    const dark = await page.$eval('[data-testid=mistakes] canvas', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 128) n++;
      return n;
    });
    assert.ok(dark > 100, `the mistakes are drawn (${dark} dark pixels)`);
    // Up to 12 of the wrong answers, each captioned with two different classes.
    const tiles = await page.$$eval('[data-testid=mistakes] figure', (fs) => fs.map((f) => [f.dataset.predicted, f.dataset.label]));
    assert.equal(tiles.length, Math.min(12, 80 - correct));
    for (const [said, was] of tiles) assert.notEqual(said, was);
  }
  await screenshot(page, 'pipeline');

  // A checkpoint after each epoch, kept in IndexedDB: they survive a reload; one resumes the run.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=checkpoint-list] tbody tr').length === 2);
  // The reference: the same recipe run for 3 epochs without a stop (and without checkpoints).
  const url = `${site.base}?page=pipeline&model=resnet20&width=4&samples=400&epochs=3&batch=32&lr=0.05&warmup=1&schedule=milestones&milestones=2&backend=cpu`;
  await page.goto(`${url}&checkpoints=0`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 240_000 });
  const whole = { loss: await legend(page, 'loss-chart'), acc: await legend(page, 'epoch-acc') };
  assert.equal(whole.acc['held-out'].points, '3');
  await page.goto(url);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=checkpoint-list] tbody tr').length === 2);
  const epochs = await page.$$eval('[data-testid=checkpoint-list] tbody tr', (trs) => trs.map((tr) => tr.dataset.epoch));
  assert.deepEqual(epochs.sort(), ['1', '2']);
  await page.click('[data-testid=checkpoint-list] tbody tr[data-epoch="2"] [data-testid=resume]');
  // Resume reads the checkpoint from IndexedDB first: wait for the run to start, then to end.
  await page.waitForSelector('[data-testid=progress][data-phase=running]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 240_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));
  assert.match(await page.textContent('[data-testid=checkpoint-note]'), /after epoch 2, on to epoch 3, with the weights, the momentum and the schedule/);
  // The epoch counter continues: the resumed run trained epoch 3 only, and ended exactly where the
  // uninterrupted run did (weights, momentum, data order, augmentation and schedule all restored).
  assert.equal(await page.getAttribute('[data-testid=epoch-status]', 'data-epoch'), '3');
  const resumed = await legend(page, 'epoch-acc');
  assert.equal(resumed['held-out'].points, '1');
  assert.equal(resumed['held-out'].last, whole.acc['held-out'].last);
  assert.equal(resumed.training.last, whole.acc.training.last);
  const [resumedLoss] = Object.values(await legend(page, 'loss-chart'));
  const [wholeLoss] = Object.values(whole.loss);
  assert.equal(resumedLoss.points, '10', 'the resumed run trained one epoch of steps');
  assert.equal(resumedLoss.last, wholeLoss.last, 'the last step\'s loss is the same, bit for bit');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=checkpoint-list] tbody tr').length === 3);
  // A file that is not a checkpoint is refused with a message; the list keeps what it had.
  await page.setInputFiles('[data-testid=checkpoint-file]', { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format": 1, "config": ') });
  await page.waitForFunction(() => document.querySelector('[data-testid=checkpoint-note]').textContent.includes('broken.json'));
  assert.match(await page.textContent('[data-testid=checkpoint-note]'), /not a ResNet Lab checkpoint/);
  assert.equal(await page.$$eval('[data-testid=checkpoint-list] tbody tr', (trs) => trs.length), 3);
  // A downloaded checkpoint is the same JSON the CLI resumes.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=checkpoint-list] tbody tr[data-epoch="3"] [data-testid=download-checkpoint]')]);
  const saved = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.equal(saved.epoch, 3);
  assert.equal(saved.config.model.family, 'cifar');
  assert.ok(saved.model.length > 1000 && saved.optimizer.length > 1000);
  assert.deepEqual(page.errors, []);
});

test('Pipeline: a run in a hidden tab (no frames, timers at most once a second) trains to the end; images/s shown live', async () => {
  const page = await openPage(site.browser);
  // What Chromium does to a background tab's page: no animation frames, timers throttled to 1 s.
  // (Headless Chromium never hides a tab, so the page is told it is hidden and throttled here.)
  await page.addInitScript(() => {
    Object.defineProperty(Document.prototype, 'visibilityState', { get: () => 'hidden' });
    Object.defineProperty(Document.prototype, 'hidden', { get: () => true });
    window.requestAnimationFrame = () => 0;
    const setTimeoutNow = window.setTimeout.bind(window);
    window.setTimeout = (f, ms, ...rest) => setTimeoutNow(f, Math.max(Number(ms) || 0, 1000), ...rest);
  });
  await page.goto(`${site.base}?page=pipeline&model=resnet20&width=4&samples=800&epochs=2&batch=32&checkpoints=0&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.equal(await page.evaluate(() => document.visibilityState), 'hidden');
  await page.click('[data-testid=train]');
  // The pace appears while it runs.
  await page.waitForSelector('[data-testid=epoch-status][data-images-per-sec]', { timeout: 120_000 });
  const pace = Number(await page.getAttribute('[data-testid=epoch-status]', 'data-images-per-sec'));
  assert.ok(pace > 0 && Number.isFinite(pace), `${pace} images/s`);
  assert.match(await page.textContent('[data-testid=epoch-status]'), /Epoch \d of 2 · \d+ images\/s/);
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 240_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));
  // 640 training images at batch 32: 20 steps an epoch, every one reported.
  assert.equal((await legend(page, 'epoch-acc'))['held-out'].points, '2');
  const [loss] = Object.values(await legend(page, 'loss-chart'));
  assert.equal(loss.points, '40');
  assert.deepEqual(page.errors, []);
});
