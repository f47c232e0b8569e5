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

test('a network too big for the device: the worker crash is reported, the page recovers and trains again', async () => {
  const browser = await launch();
  try {
    const page = await openPage(browser);
    // ~12 GB of activations: more than a wasm worker can ever address (4 GB).
    await page.goto(`${base}?page=part1&backend=cpu&depths=60&width=64&size=32&batch=256&samples=5000&epochs=1`);
    await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
    await page.click('[data-testid=train]');
    await page.waitForSelector('[data-testid=progress][data-phase=failed]', { timeout: 300_000 });
    assert.match(await page.textContent('.progress-text'), /compute worker stopped/);
    await screenshot(page, 'worker-crash');
    // A fresh worker comes up; a small run now succeeds on the same page.
    await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
    await page.goto(`${base}?page=part1&backend=cpu&depths=4&width=4&samples=40&size=8&epochs=1`);
    await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
    await page.click('[data-testid=train]');
    await page.waitForSelector('[data-testid=progress][data-phase=done]', { timeout: 120_000 });
  } finally {
    await browser.close();
  }
});
