// Bad conditions a student can hit: no WebGPU, a network too big for the device.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, openPage, screenshot } from './harness.mjs';

let server, base;
before(async () => { ({ server, base } = await serve()); });
after(() => server?.close());

test('WebGPU missing: ?backend=webgpu says why and falls back to the CPU, and training works', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const page = await openPage(browser);
    await page.goto(`${base}?page=part1&backend=webgpu&depths=4&width=4&samples=40&size=8&epochs=2`);
    await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
    assert.match(await page.textContent('[data-testid=backend-note]'), /WebGPU was requested, but .*CPU/);
    await page.click('[data-testid=train]');
    await page.waitForSelector('[data-testid=progress][data-phase=done]', { timeout: 120_000 });
    await screenshot(page, 'no-webgpu');
    assert.deepEqual(page.errors, []);
  } finally {
    await browser.close();
  }
});

test('a network too big for the tab: refused up front with the estimate, the same page then trains', async () => {
  const browser = await launch();
  try {
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
  } finally {
    await browser.close();
  }
});
