// Real data in the browser: Fashion-MNIST from the site, CIFAR-10 from the user's files (generated
// here in exactly the published binary format), bad files, and training on the loaded set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useSite, openPage, screenshot } from './harness.mjs';

const site = useSite(before, after);

const info = (page) => page.$eval('[data-testid=data-info]', (e) => ({ ...e.dataset }));

/// Pixels of the gallery canvas that are not white (images are grey or colour).
const galleryInk = (page) => page.$eval('[data-testid=gallery] canvas', (c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) n++;
  return n;
});

/// A CIFAR-10 binary batch: `n` records of 1 label byte + 3072 pixel bytes (R, G, B planes).
function cifarBatch(n, seed) {
  const buf = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++) {
    const label = (i + seed) % 10;
    buf[i * 3073] = label;
    for (let p = 0; p < 3072; p++) buf[i * 3073 + 1 + p] = (label * 25 + (p % 32) * 3 + seed) & 255;
  }
  return buf;
}

test('Fashion-MNIST loads from the site with progress, is verified, shown as a gallery, and a small ResNet learns from it', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=data&data=fashion&backend=cpu`);
  await page.waitForSelector('[data-testid=data-info][data-kind=fashion]', { timeout: 120_000 });
  const i = await info(page);
  assert.deepEqual([i.train, i.heldOut, i.size, i.channels, i.classes], ['60000', '10000', '28', '1', '10']);
  assert.match(await page.textContent('[data-testid=data-info]'), /mean 0\.28\d and std 0\.35\d/);
  assert.equal(await page.getAttribute('[data-testid=gallery]', 'data-count'), '48');
  assert.match(await page.getAttribute('[data-testid=gallery]', 'data-labels'), /Ankle boot|Sneaker|T-shirt/);
  assert.ok(await galleryInk(page) > 10_000, 'gallery drew the images');
  const counts = await page.$$eval('[data-testid=class-chart] tr', (rows) => rows.map((r) => Number(r.dataset.value)));
  assert.deepEqual(counts, Array(10).fill(6000), 'the training split is balanced');
  assert.equal(await page.$('[data-testid=data-error]'), null);
  await screenshot(page, 'data-fashion');

  // Train a small residual net on it from Part 1 (the link keeps the dataset).
  assert.match(await page.getAttribute('[data-testid=train-link]', 'href'), /page=part1&data=fashion/);
  await page.goto(`${site.base}?page=part1&data=fashion&depths=4&width=8&skip=residual&samples=800&epochs=3&batch=32&lr=0.05&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 180_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done');
  const d = await page.$eval('[data-testid=details] li', (li) => ({ ...li.dataset }));
  assert.ok(Number.isFinite(Number(d.finalLoss)) && Number(d.finalLoss) < Number(d.firstLoss), JSON.stringify(d));
  assert.ok(Number(d.valAcc) > 0.2, `held-out accuracy above twice chance: ${d.valAcc}`);
  await screenshot(page, 'part1-fashion');
  assert.deepEqual(page.errors, []);
});

test('CIFAR-10 from the user\'s files; a truncated or foreign file is refused and the loaded data stays', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cifar-'));
  const train = path.join(dir, 'data_batch_1.bin');
  const testb = path.join(dir, 'test_batch.bin');
  fs.writeFileSync(train, cifarBatch(200, 0));
  fs.writeFileSync(testb, cifarBatch(50, 3));
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=data&data=gratings&backend=cpu`);
  await page.waitForSelector('[data-testid=data-info][data-kind=gratings]', { timeout: 120_000 });
  await page.setInputFiles('[data-testid=files]', [train, testb]);
  await page.waitForSelector('[data-testid=data-info][data-kind=cifar10]', { timeout: 60_000 });
  const i = await info(page);
  assert.deepEqual([i.train, i.heldOut, i.size, i.channels], ['200', '50', '32', '3']);
  assert.match(await page.getAttribute('[data-testid=gallery]', 'data-labels'), /airplane, automobile, bird/);
  assert.match(page.url(), /data=cifar10/);

  const cut = path.join(dir, 'data_batch_2.bin');
  fs.writeFileSync(cut, cifarBatch(3, 0).subarray(0, 5000));
  await page.setInputFiles('[data-testid=files]', [cut]);
  await page.waitForSelector('[data-testid=data-error]', { timeout: 30_000 });
  let err = await page.textContent('[data-testid=data-error]');
  assert.match(err, /not a whole number of CIFAR-10 records/);
  assert.match(err, /CIFAR-10 .* is still loaded/);
  assert.equal((await info(page)).train, '200', 'the earlier data is untouched');

  const png = path.join(dir, 'photo.png');
  fs.writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 13]));
  await page.setInputFiles('[data-testid=files]', [png]);
  await page.waitForFunction(() => /found no dataset/.test(document.querySelector('[data-testid=data-error]')?.textContent));
  err = await page.textContent('[data-testid=data-error]');
  assert.match(err, /expected .*data_batch_1\.bin/);
  await screenshot(page, 'data-cifar-error');
  assert.deepEqual(page.errors, []);
});

test('bad data URL values are clamped with a note', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=data&data=imagenet&size=999&backend=cpu`);
  await page.waitForSelector('[data-testid=clamp-notes]');
  const notes = await page.textContent('[data-testid=clamp-notes]');
  assert.match(notes, /imagenet/);
  assert.match(notes, /size/);
  await page.waitForSelector('[data-testid=data-info][data-kind=fashion]', { timeout: 120_000 });
  assert.deepEqual(page.errors, []);
});

test('Cancel during a dataset download stops it within a second; the next run downloads again and trains', async () => {
  const page = await openPage(site.browser);
  site.server.slowData = true;
  try {
    await page.goto(`${site.base}?page=part1&data=fashion&depths=4&width=4&samples=200&epochs=1&batch=32&backend=cpu`);
    await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
    await page.click('[data-testid=train]');
    await page.waitForFunction(() => /Downloading Fashion-MNIST/.test(document.querySelector('.progress-text').textContent), null, { timeout: 60_000 });
    const t0 = Date.now();
    await page.click('[data-testid=cancel]');
    await page.waitForSelector('[data-testid=progress][data-phase=cancelled]', { timeout: 10_000 });
    const ms = Date.now() - t0;
    console.log(`cancel during the download took effect after ${ms} ms`);
    assert.ok(ms < 1000, `${ms} ms`);
  } finally {
    site.server.slowData = false;
  }
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 180_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));
  assert.deepEqual(page.errors, []);
});
