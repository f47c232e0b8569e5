// Accessibility: text contrast (WCAG AA, computed from the rendered colours) in the light and the dark
// theme, and a page driven with the keyboard only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot } from './harness.mjs';

const site = useSite(before, after, { webgpu: false });

/// Every visible piece of text whose contrast against its background is below WCAG AA (4.5:1, or
/// 3:1 for large text). The background is the first opaque one among the element and its ancestors;
/// disabled controls are exempt (WCAG 1.4.3), as is text drawn on canvases (the charts' own).
function lowContrast() {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a = 1] = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    if (el.closest('[disabled], [aria-hidden=true], option, canvas, svg, noscript')) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || Number(style.opacity) === 0) continue;
    const fg = parse(style.color);
    const bg = background(el);
    const [a, b] = [lum(fg) + 0.05, lum(bg) + 0.05];
    const ratio = Math.max(a, b) / Math.min(a, b);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push(`${ratio.toFixed(2)} "${n.textContent.trim().slice(0, 40)}" (${style.color} on rgb(${bg.r},${bg.g},${bg.b}))`);
  }
  return out;
}

for (const scheme of ['light', 'dark']) {
  test(`Contrast meets WCAG AA in the ${scheme} theme (landing page, Part 6 after a run, the Data page)`, async () => {
    const page = await openPage(site.browser, { width: 1100, height: 900 });
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(`${site.base}?backend=cpu`);
    await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
    assert.deepEqual(await page.evaluate(lowContrast), [], 'landing page');
    await page.goto(`${site.base}?page=part6&backend=cpu&depth=8&width=4&samples=160&epochs=2&batch=32`);
    await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
    await page.click('[data-testid=train]');
    await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 120_000 });
    assert.deepEqual(await page.evaluate(lowContrast), [], 'Part 6');
    await screenshot(page, `part6-${scheme}`);
    await page.goto(`${site.base}?page=data&data=gratings&backend=cpu`);
    await page.waitForSelector('[data-testid=gallery][data-count]:not([data-count="0"])', { timeout: 120_000 });
    assert.deepEqual(await page.evaluate(lowContrast), [], 'Data page');
    // The pipeline after a run: confusion matrix, class bars, mistakes with their captions.
    await page.goto(`${site.base}?page=pipeline&model=resnet20&width=4&samples=400&epochs=1&batch=32&warmup=0&checkpoints=0&backend=cpu`);
    await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
    await page.click('[data-testid=train]');
    await page.waitForSelector('[data-testid=confusion]', { timeout: 120_000 });
    assert.deepEqual(await page.evaluate(lowContrast), [], 'pipeline');
    await screenshot(page, `pipeline-${scheme}`);
    assert.deepEqual(page.errors, []);
  });
}

test('Part 6 with the keyboard only: Tab reaches every control in reading order, arrows set the depth, Enter trains', async () => {
  const page = await openPage(site.browser, { width: 1100, height: 900 });
  await page.goto(`${site.base}?page=part6&backend=cpu&depth=8&width=4&samples=160&epochs=2&batch=32`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    return e.id || e.dataset.testid || e.textContent.trim().slice(0, 30);
  });
  // Tab from the top of the page until Train has the focus; note what was passed on the way.
  const order = [];
  for (let i = 0; i < 80 && (await focused()) !== 'train'; i++) {
    await page.keyboard.press('Tab');
    order.push(await focused());
  }
  assert.equal(await focused(), 'train', `Train was never reached: ${order.join(' → ')}`);
  for (const id of ['family', 'depth', 'width', 'skip', 'data', 'samples', 'epochs', 'batch', 'lr', 'seed']) {
    assert.ok(order.includes(id), `${id} is not reachable by Tab: ${order.join(' → ')}`);
  }
  // Reading order: the network's controls before the training ones, Train after both.
  assert.ok(order.indexOf('depth') < order.indexOf('samples') && order.indexOf('samples') < order.indexOf('train'), order.join(' → '));
  // Back to the depth slider (Shift+Tab), three steps up with the arrow key: 8 → 14 → 20 → 26.
  while ((await focused()) !== 'depth') await page.keyboard.press('Shift+Tab');
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  assert.equal(await page.$eval('#depth', (e) => e.value), '26');
  assert.match(page.url(), /depth=26/);
  for (const key of ['ArrowLeft', 'ArrowLeft', 'ArrowLeft']) await page.keyboard.press(key);
  while ((await focused()) !== 'train') await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=progress][data-phase=running], [data-testid=progress][data-phase=done]', { timeout: 30_000 });
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 120_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done');
  assert.equal(await page.$$eval('[data-testid=details] li', (lis) => lis.length), 2);
  // Every chart has a text alternative: its legend values, and a table of the numbers.
  const charts = await page.$$eval('figure.chart', (fs) => fs.map((f) => ({ label: f.querySelector('canvas')?.getAttribute('aria-label'), legend: f.querySelectorAll('.legend li').length })));
  for (const c of charts) assert.ok(c.label && c.legend > 0, JSON.stringify(charts));
  assert.deepEqual(page.errors, []);
});

test('Part 5 with the keyboard only: a test image is picked and looked at without a mouse', async () => {
  const page = await openPage(site.browser, { width: 1100, height: 900 });
  await page.goto(`${site.base}?page=part5&depth=8&width=4&samples=400&epochs=1&backend=cpu`);
  await page.waitForSelector('[data-testid=sample-3]', { timeout: 120_000 });
  const focused = () => page.evaluate(() => document.activeElement.id || document.activeElement.dataset.testid || '');
  for (let i = 0; i < 60 && (await focused()) !== 'train'; i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running]):not([data-phase=idle])', { timeout: 180_000 });
  for (let i = 0; i < 60 && (await focused()) !== 'sample-2'; i++) await page.keyboard.press('Tab');
  assert.equal(await focused(), 'sample-2');
  await page.keyboard.press('Space');
  await page.waitForSelector('[data-testid=maps] figure', { timeout: 60_000 });
  assert.match(await page.textContent('[data-testid=input-name]'), /test image 3/);
  assert.match(await page.textContent('[data-testid=readout]'), /(right|wrong): it is a/);
  assert.deepEqual(page.errors, []);
});

test('Train sits in the same place on every training page: ending the settings, with a time estimate, right above its progress bar', async () => {
  const page = await openPage(site.browser);
  for (const slug of ['part1', 'part4', 'part6', 'part7', 'ex1', 'ex2', 'ex3', 'ex4', 'ex5', 'visualise', 'variants', 'pipeline']) {
    await page.goto(`${site.base}?page=${slug}&backend=cpu`);
    await page.waitForSelector('[data-testid=train]');
    const at = await page.evaluate(() => {
      const train = document.querySelector('[data-testid=train]');
      const progress = document.querySelector('[data-testid=progress]');
      const actions = train.closest('.actions');
      // Every form control between the button and its progress bar, in document order.
      const between = [...document.querySelectorAll('input, select, textarea')].filter((el) =>
        (train.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) && (el.compareDocumentPosition(progress) & Node.DOCUMENT_POSITION_FOLLOWING));
      return {
        primary: train.classList.contains('primary'),
        inActions: !!actions,
        estimate: !!actions?.querySelector('.estimate'),
        progressAfter: !!(train.compareDocumentPosition(progress) & Node.DOCUMENT_POSITION_FOLLOWING),
        gap: progress.getBoundingClientRect().top - train.getBoundingClientRect().bottom,
        between: between.map((el) => el.id || el.type),
      };
    });
    assert.ok(at.primary && at.inActions && at.estimate && at.progressAfter, `${slug}: ${JSON.stringify(at)}`);
    assert.deepEqual(at.between, [], `${slug}: controls between Train and its progress bar`);
    assert.ok(at.gap >= 0 && at.gap < 200, `${slug}: progress bar ${at.gap} px below Train`);
  }
});
