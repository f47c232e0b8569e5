// Hostile URLs on every built page: every key the page knows gets a random bad value (negative,
// huge, NaN, empty, text, markup, a 500-item list), keys repeat, unknown keys appear. No page may go
// blank, panic or crash the worker, and the changed values are explained in notes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage } from './harness.mjs';

const site = useSite(before, after);
const HOSTILE = ['-1', '0', '1e309', 'NaN', '', 'abc', '9'.repeat(30), Array(500).fill('1').join(','), '%00', '<b>x</b>', '-0.0001', '3.5', 'none,none', ':::'];

// A small seeded generator, so a failure can be replayed.
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('every page survives hostile URLs: no blank page, no panic, no worker crash, notes for the changes', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?backend=cpu`);
  // The cards are drawn by the app's wasm after load: wait for them before reading the list.
  await page.waitForSelector('a.card.ready');
  const slugs = await page.$$eval('a.card.ready', (as) => as.map((a) => new URL(a.href).searchParams.get('page')));
  assert.ok(slugs.length >= 15, JSON.stringify(slugs));
  const random = rng(20261125);
  let fuzzed = 0;
  for (const slug of slugs) {
    // The keys the page knows: what it writes into its own URL.
    await page.goto(`${site.base}?page=${slug}&backend=cpu`);
    await page.waitForSelector('main h1', { timeout: 60_000 });
    await page.waitForFunction(() => new URLSearchParams(location.search).size > 2, null, { timeout: 10_000 }).catch(() => {});
    const keys = await page.evaluate(() => [...new URLSearchParams(location.search).keys()].filter((k) => k !== 'page' && k !== 'backend'));
    const title = await page.textContent('main h1');
    fuzzed += keys.length;
    for (let round = 0; round < 2; round++) {
      const q = new URLSearchParams({ page: slug, backend: 'cpu' });
      for (const k of keys) {
        q.append(k, HOSTILE[Math.floor(random() * HOSTILE.length)]);
        if (random() < 0.3) q.append(k, HOSTILE[Math.floor(random() * HOSTILE.length)]);
      }
      q.append('zzz_unknown', '1');
      const url = `${site.base}?${q}`;
      await page.goto(url);
      await page.waitForSelector('main h1', { timeout: 60_000 });
      assert.equal(await page.textContent('main h1'), title, `${slug}: ${url}`);
      await page.waitForSelector('[data-testid=backend][data-backend]', { timeout: 60_000 });
      await page.waitForTimeout(400);
      assert.notEqual(await page.getAttribute('[data-testid=backend]', 'data-backend'), 'crashed', `${slug}: ${url}`);
      if (keys.length > 0) {
        const notes = await page.$$eval('[data-testid=clamp-notes] li', (lis) => lis.length);
        assert.ok(notes >= 1, `${slug}: hostile values changed without a note (${url})`);
      }
      // The page still works: its main controls are there and enabled.
      const controls = await page.$$eval('main input, main select, main button', (els) => els.length);
      assert.ok(controls > 0, `${slug}: no controls`);
    }
    assert.deepEqual(page.errors, [], `${slug}`);
  }
  // Not vacuous: the pages' URLs carry their settings (Part 1 alone has a dozen keys).
  assert.ok(fuzzed > 100, `only ${fuzzed} keys fuzzed`);
});
