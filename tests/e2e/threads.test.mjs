// Threads on the CPU path: a cross-origin isolated page (COOP + COEP, as `make serve` sends) trains on
// a pool of Web Workers sharing one wasm memory; every other page, or a pool that cannot start, falls
// back to the single-threaded worker and says why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, serve, openPage, screenshot } from './harness.mjs';

const site = useSite(before, after, undefined, { isolated: true });

// A small Part 1 run: two nets, one epoch, a fixed seed.
const RUN = 'page=part1&backend=cpu&depths=8,20&width=8&samples=256&size=16&epochs=1&batch=32&seed=7';

async function badge(page) {
  await page.waitForSelector('[data-testid=backend]:not([data-backend=starting]):not([data-backend=crashed])', { timeout: 120_000 });
  return page.$eval('[data-testid=backend]', (b) => ({
    backend: b.dataset.backend, threads: Number(b.dataset.threads), text: b.textContent,
    note: document.querySelector('[data-testid=backend-note]')?.textContent ?? '',
  }));
}

async function train(page) {
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 240_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done');
  return page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => ({
    series: li.dataset.series, first: Number(li.dataset.firstLoss), final: Number(li.dataset.finalLoss), ips: Number(li.dataset.ips) })));
}

test('an isolated page trains on two CPU threads, and the numbers match one thread', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?${RUN}&threads=2`);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  const two = await badge(page);
  assert.deepEqual([two.backend, two.threads], ['cpu', 2], JSON.stringify(two));
  assert.match(two.text, /2 threads/);
  // The pool's second thread is a worker started by the compute worker.
  const threaded = await train(page);
  await screenshot(page, 'threads-two');

  await page.goto(`${site.base}?${RUN}&threads=1`);
  const one = await badge(page);
  assert.deepEqual([one.backend, one.threads], ['cpu', 1], JSON.stringify(one));
  assert.doesNotMatch(one.note, /isolated/, 'one thread was asked for: nothing to explain');
  const single = await train(page);
  assert.deepEqual(threaded.map((r) => r.series), single.map((r) => r.series));
  // Threads split the same sums differently, so the last digits may differ; nothing more.
  for (const [t, s] of threaded.map((r, i) => [r, single[i]])) {
    assert.ok(Number.isFinite(t.first) && Number.isFinite(t.final), JSON.stringify(t));
    assert.ok(Math.abs(t.first - s.first) <= 1e-4 * Math.abs(s.first), `first loss ${t.first} vs ${s.first}`);
    assert.ok(Math.abs(t.final - s.final) <= 1e-3 * Math.abs(s.final), `final loss ${t.final} vs ${s.final}`);
  }
  console.log(`  img/s, 2 threads vs 1: ${threaded.map((r, i) => `${r.series} ${r.ips.toFixed(0)} vs ${single[i].ips.toFixed(0)}`).join(', ')}`);
  assert.deepEqual(page.errors, []);
});

test('auto on an isolated page: the page probes WebGPU itself, picks the threaded CPU worker and says why', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part1&threads=2`);
  const b = await badge(page);
  // Headless Chromium's only adapter is SwiftShader, a software one: auto never picks it.
  assert.deepEqual([b.backend, b.threads], ['cpu', 2], JSON.stringify(b));
  assert.match(b.note, /software/);
  assert.deepEqual(page.errors, []);
});

test('threads that cannot start: one thread, the reason in the badge, and training still works', async () => {
  // The helper thread's script is missing: the threaded worker runs its pool on its own thread.
  site.server.missing = ['worker_mt_thread.js'];
  try {
    const page = await openPage(site.browser);
    await page.goto(`${site.base}?${RUN}&threads=2&depths=8`);
    const b = await badge(page);
    assert.deepEqual([b.backend, b.threads], ['cpu', 1], JSON.stringify(b));
    assert.match(b.note, /CPU thread 0 did not start.*one thread/);
    const runs = await train(page);
    assert.ok(Number.isFinite(runs[0].final), JSON.stringify(runs));
    // The threaded worker itself is missing: the page starts the single-threaded one.
    site.server.missing = ['worker_mt_bg.wasm'];
    await page.goto(`${site.base}?${RUN}&threads=2&depths=8`);
    const c = await badge(page);
    assert.deepEqual([c.backend, c.threads], ['cpu', 1], JSON.stringify(c));
    assert.match(c.note, /threaded worker did not start/);
    const again = await train(page);
    assert.ok(Number.isFinite(again[0].final), JSON.stringify(again));
    // The same seed on one thread either way, up to rounding: the threaded worker's matrix kernels fuse
    // each multiply-add (relaxed SIMD), the single-threaded worker's round the product first.
    assert.ok(Math.abs(again[0].first - runs[0].first) <= 1e-4 * Math.abs(runs[0].first), `first loss ${again[0].first} vs ${runs[0].first}`);
    await screenshot(page, 'threads-fallback');
  } finally {
    site.server.missing = [];
  }
});

test('an engine without WebAssembly relaxed SIMD gets the single-threaded worker, and the badge says why', async () => {
  const page = await openPage(site.browser);
  // This Chromium has relaxed SIMD: make the page's probe (a module whose one instruction is
  // f32x4.relaxed_madd, 0xfd 0x85 0x02) fail as it would in an engine without it.
  await page.addInitScript(() => {
    const validate = WebAssembly.validate;
    WebAssembly.validate = (bytes, ...rest) => {
      const b = new Uint8Array(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength);
      const relaxed = b.some((x, i) => x === 0xfd && b[i + 1] === 0x85 && b[i + 2] === 0x02);
      return relaxed ? false : validate(bytes, ...rest);
    };
  });
  const requested = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(`${site.base}?${RUN}&threads=2&depths=8`);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  const b = await badge(page);
  assert.deepEqual([b.backend, b.threads], ['cpu', 1], JSON.stringify(b));
  assert.match(b.note, /relaxed SIMD/);
  assert.ok(!requested.some((p) => p.includes('worker_mt')), `the threaded worker was not fetched: ${requested}`);
  const runs = await train(page);
  assert.ok(Number.isFinite(runs[0].final), JSON.stringify(runs));
  assert.deepEqual(page.errors, []);
  await screenshot(page, 'threads-no-relaxed-simd');
});

test('a page that is not cross-origin isolated runs one thread and says so', async () => {
  const { server, base } = await serve();
  try {
    const page = await openPage(site.browser);
    await page.goto(`${base}?${RUN}&threads=2&depths=8`);
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    const b = await badge(page);
    assert.deepEqual([b.backend, b.threads], ['cpu', 1], JSON.stringify(b));
    assert.match(b.note, /cross-origin isolated/);
    assert.deepEqual(page.errors, []);
  } finally {
    server.close();
  }
});
