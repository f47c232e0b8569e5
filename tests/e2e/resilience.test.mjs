// Bad conditions a student can hit: no WebGPU, only a software GPU, a network too big for the device, a worker that dies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, screenshot } from './harness.mjs';

let server, base;
before(async () => { ({ server, base } = await serve()); });
after(() => server?.close());

/// Each test here starts a browser of its own (some without WebGPU) and always closes it.
async function withBrowser(options, body) {
  const browser = await launch(options);
  try {
    await body(browser);
  } finally {
    await browser.close();
  }
}

test('WebGPU missing: ?backend=webgpu says why and falls back to the CPU, and training works', () => withBrowser({ webgpu: false }, async (browser) => {
  const page = await openPage(browser);
  await page.goto(`${base}?page=part1&backend=webgpu&depths=4&width=4&samples=40&size=8&epochs=2`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.match(await page.textContent('[data-testid=backend-note]'), /WebGPU was requested, but .*CPU/);
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=done]', { timeout: 120_000 });
  await screenshot(page, 'no-webgpu');
  assert.deepEqual(page.errors, []);
}));

test('a network too big for the tab: refused up front with the estimate, the same page then trains', () => withBrowser({}, async (browser) => {
  const page = await openPage(browser);
  // ~12 GB of activations: more than a wasm worker can ever address (4 GB).
  await page.goto(`${base}?page=part1&backend=cpu&depths=60&width=64&size=32&batch=256&samples=5000&epochs=1`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=failed]', { timeout: 10_000 });
  const text = await page.textContent('.progress-text');
  const gb = Number(text.match(/needs about ([0-9.]+) GB for a training step/)[1]);
  assert.ok(gb > 2, text);
  assert.match(text, /activations of a batch of 256 [0-9.]+ GB.*this tab allows 2 GB/);
  // Nothing was sent: the worker never crashed.
  assert.equal(await page.getAttribute('[data-testid=backend]', 'data-backend'), 'cpu');
  await screenshot(page, 'too-big-refused');
  // In the same page, without a reload: a narrow net on small images trains.
  for (const [id, v] of [['#width', '4'], ['#batch', '8'], ['#size', '8'], ['#samples', '40']]) await page.fill(id, v);
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=done]', { timeout: 120_000 });
  assert.deepEqual(page.errors, []);
}));

test('the compute worker dies mid-run: the page says what was lost, restarts it, and the same page trains', () => withBrowser({}, async (browser) => {
  const page = await openPage(browser);
  await page.goto(`${base}?page=part1&backend=cpu&depths=4&width=4&samples=64&size=8&batch=8&epochs=40`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=loss-chart] .legend li:not([data-points="0"])', { timeout: 60_000 });
  // An uncaught error ends the worker's wasm as a Rust panic does.
  assert.equal(page.workers().length, 1);
  await page.workers()[0].evaluate(() => setTimeout(() => { throw new Error('injected crash'); }, 0));
  await page.waitForSelector('[data-testid=progress][data-phase=failed]', { timeout: 10_000 });
  const said = await page.textContent('.progress-text');
  assert.match(said, /compute worker stopped.*restarts in 0\.5 s on the cpu backend.*What it held is gone.*injected crash/s);
  // The restarted worker, in the same page without a reload, trains to the end.
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 60_000 });
  await page.fill('#epochs', '2');
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 120_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));
  await screenshot(page, 'worker-restarted');
}));

test('?backend=auto never picks a software GPU: with only SwiftShader it trains on the CPU and says why', () => withBrowser({}, async (browser) => {
  const page = await openPage(browser);
  await page.goto(`${base}?page=part1&backend=auto&depths=4&width=4&samples=40&size=8&epochs=1`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu], [data-testid=backend][data-backend=webgpu]', { timeout: 120_000 });
  // What this browser offers: a WebGPU adapter that calls itself a fallback (SwiftShader).
  const info = await page.evaluate(async () => {
    const i = (await navigator.gpu.requestAdapter()).info;
    return { isFallbackAdapter: i.isFallbackAdapter, vendor: i.vendor, architecture: i.architecture };
  });
  assert.equal(info.isFallbackAdapter, true, JSON.stringify(info));
  assert.equal(await page.getAttribute('[data-testid=backend]', 'data-backend'), 'cpu');
  assert.match(await page.textContent('[data-testid=backend-note]'), new RegExp(`only WebGPU adapter here is a software one \\(${info.vendor} ${info.architecture}\\).*backend=webgpu`));
  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress][data-phase=done]', { timeout: 60_000 });
  assert.deepEqual(page.errors, []);
}));
