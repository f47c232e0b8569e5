// Course material: a page embedded with ?embed=1 (locked and hidden controls, autorun on scroll), a
// course page with two frames, the share bar's link and iframe snippet, and the site under a sub-path.
import { test, before, after } from 'node:test';
import fs from 'node:fs';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, SUBPATH } from './harness.mjs';

const site = useSite(before, after, { webgpu: false });

test('Embed mode: no site header, a locked control, folded settings, a link out; runs and keeps its keys in the URL', async () => {
  for (const width of [360, 800]) {
    const page = await openPage(site.browser, { width, height: 1000 });
    await page.goto(`${site.base}?page=part6&backend=cpu&depth=8&width=4&samples=160&epochs=2&batch=32&embed=1&lock=depth`);
    await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
    assert.equal(await page.$('.tagline'), null, 'no site header');
    assert.equal(await page.$('[data-testid=share]'), null, 'no share bar inside a frame');
    // The link out opens the same page and settings in a tab of their own, without the frame's keys.
    const out = new URL(await page.getAttribute('[data-testid=open-in-lab]', 'href'), page.url());
    assert.equal(out.searchParams.get('page'), 'part6');
    assert.equal(out.searchParams.get('depth'), '8');
    assert.equal(out.searchParams.get('embed'), null);
    assert.equal(out.searchParams.get('lock'), null);
    // Settings are folded away; the locked one cannot be changed, the others can.
    assert.equal(await page.getAttribute('[data-testid=embed-settings]', 'open'), null);
    assert.equal(await page.$eval('#depth', (e) => e.disabled), true);
    assert.match(await page.getAttribute('#depth', 'title'), /Fixed by the page/);
    assert.equal(await page.$eval('#width', (e) => e.disabled), false);
    // Nothing wider than the frame.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${overflow}px wider than the ${width}px frame`);
    if (width === 360) {
      await page.click('[data-testid=embed-run]');
      await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 120_000 });
      assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done');
      assert.equal(await page.$$eval('[data-testid=details] li', (lis) => lis.length), 2);
      // The page rewrote its settings into the URL and kept the frame's keys.
      const url = new URL(page.url());
      assert.equal(url.searchParams.get('embed'), '1');
      assert.equal(url.searchParams.get('lock'), 'depth');
      assert.equal(url.searchParams.get('backend'), 'cpu');
    }
    await screenshot(page, `embed-part6-${width}px`);
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});

test('A course page with two embedded pages: each trains only once scrolled into view, both finish, the course page stays responsive', async () => {
  const page = await openPage(site.browser, { width: 1000, height: 800 });
  await page.goto(`${site.base}__fixtures__/course.html`);
  const frame = async (id) => (await page.$(`#${id}`)).contentFrame();
  const [first, second] = [await frame('first'), await frame('second')];
  for (const f of [first, second]) await f.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  // Out of view: nothing has started after a few seconds.
  await page.waitForTimeout(3000);
  for (const f of [first, second]) assert.equal(await f.getAttribute('[data-testid=progress]', 'data-phase'), 'idle');
  // The course page's own main thread: the longest gap between 50 ms ticks while the frames train.
  await page.evaluate(() => {
    window.__gap = 0;
    let last = performance.now();
    window.__tick = setInterval(() => { const now = performance.now(); window.__gap = Math.max(window.__gap, now - last); last = now; }, 50);
  });
  await page.$eval('#first', (e) => e.scrollIntoView());
  await first.waitForSelector('[data-testid=progress]:not([data-phase=idle])', { timeout: 30_000 });
  assert.equal(await second.getAttribute('[data-testid=progress]', 'data-phase'), 'idle', 'the second frame waits for its turn');
  await page.$eval('#second', (e) => e.scrollIntoView());
  await second.waitForSelector('[data-testid=progress]:not([data-phase=idle])', { timeout: 30_000 });
  for (const f of [first, second]) {
    await f.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 180_000 });
    assert.equal(await f.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await f.textContent('.progress-text'));
  }
  // Part 1 trained its two depths; Part 6 its plain/residual twins, with its settings hidden.
  assert.equal(await first.$$eval('[data-testid=details] li', (lis) => lis.length), 2);
  assert.equal(await second.$$eval('[data-testid=details] li', (lis) => lis.length), 2);
  assert.equal(await second.$eval('[data-testid=embed-settings]', (e) => e.hidden), true);
  assert.equal(await first.$eval('#width', (e) => e.disabled), true, 'lock=width');
  const gap = await page.evaluate(() => { clearInterval(window.__tick); return window.__gap; });
  console.log(`course page: longest main-thread gap while two frames trained = ${gap.toFixed(0)} ms`);
  assert.ok(gap < 1000, `the course page froze for ${gap} ms`);
  await screenshot(page, 'embed-course');
  assert.deepEqual(page.errors, []);
});

test('Share bar: Copy link gives this page with its settings; the embed snippet opens it in embed mode', async () => {
  const context = await site.browser.newContext({ viewport: { width: 1100, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${site.base}?page=part6&backend=cpu&depth=14&width=4`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=copy-link]');
  await page.waitForFunction(() => /copied/.test(document.querySelector('[data-testid=share-status]').textContent));
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, page.url());
  assert.match(link, /depth=14/);
  await page.click('[data-testid=copy-embed]');
  await page.waitForFunction(() => /Embed snippet copied/.test(document.querySelector('[data-testid=share-status]').textContent));
  const snippet = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(snippet, await page.$eval('[data-testid=embed-snippet]', (t) => t.value));
  const src = snippet.match(/src="([^"]+)"/)[1].replaceAll('&amp;', '&');
  assert.match(src, /page=part6&.*depth=14&.*embed=1$/);
  // The snippet's page, in a frame of a blank page: embed mode with the same settings.
  await page.setContent(snippet);
  const f = await (await page.$('iframe')).contentFrame();
  await f.waitForSelector('[data-testid=open-in-lab]', { timeout: 120_000 });
  assert.equal(await f.$eval('#depth', (e) => e.value), '14');
  assert.deepEqual(errors, []);
  await context.close();
});

test(`The built site works from a sub-path (${SUBPATH}): assets, the worker and the dataset load relative to it`, async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base.replace(/\/$/, '')}${SUBPATH}?page=data&data=fashion&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  // Fashion-MNIST is fetched by the worker from public/data/, next to the page.
  await page.waitForSelector('[data-testid=gallery][data-count]:not([data-count="0"])', { timeout: 120_000 });
  assert.equal(await page.$('[data-testid=data-error]'), null);
  // Links stay under the sub-path.
  const home = new URL(await page.getAttribute('a.brand', 'href'), page.url());
  assert.equal(home.pathname, SUBPATH);
  assert.deepEqual(page.errors, []);
});

test('A run downloads as JSON and opens on another page, drawn faded under that run; a wrong file is refused', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part6&backend=cpu&depth=8&width=4&samples=160&epochs=2&batch=32`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.equal(await page.$eval('[data-testid=save-run]', (b) => b.disabled), true, 'nothing to save before a run');
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 120_000 });
  const legend = await page.$$eval('[data-testid=loss-chart] .legend:not(.previous) li', (lis) => lis.map((li) => ({ ...li.dataset })));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=save-run]')]);
  const file = await download.path();
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(saved.format, 'resnet-lab-run');
  assert.equal(saved.page, 'part6');
  assert.match(saved.settings, /depth=8/);
  assert.deepEqual(saved.series.map((s) => s.label), legend.map((l) => l.series));
  saved.series.forEach((s, i) => {
    assert.equal(String(s.losses.length), legend[i].points);
    assert.equal(String(s.losses.at(-1)[1]), legend[i].last);
    assert.ok(s.summary.params > 0 && s.epochs.length === 2);
  });

  // Part 1, another page: its own run, with the saved Part 6 run underneath.
  await page.goto(`${site.base}?page=part1&backend=cpu&depths=4&width=4&samples=160&epochs=2&batch=32`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 120_000 });
  await page.setInputFiles('[data-testid=open-run]', file);
  await page.waitForSelector('[data-testid=compare-chart-previous] li');
  assert.match(await page.textContent('[data-testid=saved-run-note]'), /2 series from the part6 page/);
  const under = await page.$$eval('[data-testid=compare-chart-previous] li', (lis) => lis.map((li) => [li.dataset.series, li.dataset.last]));
  assert.deepEqual(under, saved.series.map((s) => [s.label, String(s.losses.at(-1)[1])]));
  const over = await page.$$eval('[data-testid=compare-chart] .legend:not(.previous) li', (lis) => lis.map((li) => li.dataset.series));
  assert.equal(over.length, 1);
  // A file that is not a saved run: refused with the reason, the comparison kept.
  await page.setInputFiles('[data-testid=open-run]', { name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "something else", "version": 1}') });
  await page.waitForFunction(() => /notes\.json was not opened/.test(document.querySelector('[data-testid=saved-run-note]').textContent));
  assert.equal(await page.$$eval('[data-testid=compare-chart-previous] li', (lis) => lis.length), 2);
  await screenshot(page, 'compare-saved-run');
  assert.deepEqual(page.errors, []);
});
