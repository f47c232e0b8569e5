// Soak: many runs back to back in one page must not grow the worker's memory or the page's JS heap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage } from './harness.mjs';

const site = useSite(before, after, { exposeGc: true });

const soaks = [
  ['cpu', 20, '?page=part1&backend=cpu&depths=4,8&width=4&samples=80&size=8&epochs=1&batch=16'],
  ['webgpu', 5, '?page=part1&backend=webgpu&depths=4&width=4&samples=40&size=8&epochs=1&batch=8'],
];

for (const [backend, runs, url] of soaks) {
  test(`Soak: ${runs} runs back to back on ${backend === 'cpu' ? 'the CPU' : 'WebGPU'} in one page; memory after the last is within 10 % of after the third`, async () => {
    const page = await openPage(site.browser);
    await page.goto(`${site.base}${url}`);
    await page.waitForSelector('[data-testid=backend][data-backend=cpu], [data-testid=backend][data-backend=webgpu]', { timeout: 120_000 });
    assert.equal(await page.getAttribute('[data-testid=backend]', 'data-backend'), backend);
    const figures = [];
    for (let i = 1; i <= runs; i++) {
      const before = await page.getAttribute('[data-testid=backend]', 'data-worker-memory');
      await page.click('[data-testid=train]');
      await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 120_000 });
      assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', `run ${i}: ${await page.textContent('.progress-text')}`);
      // The worker reports its memory as each request ends (the same figure again is fine).
      if (before === null) await page.waitForSelector('[data-testid=backend][data-worker-memory]');
      const worker = Number(await page.getAttribute('[data-testid=backend]', 'data-worker-memory'));
      const heap = await page.evaluate(() => { window.gc(); return performance.memory.usedJSHeapSize; });
      figures.push({ run: i, worker, heap });
    }
    const mb = (b) => (b / 1048576).toFixed(1);
    console.log(`${backend}: ${figures.map((f) => `run ${f.run}: worker ${mb(f.worker)} MB, heap ${mb(f.heap)} MB`).join('; ')}`);
    const [third, last] = [figures[2], figures.at(-1)];
    assert.ok(last.worker <= third.worker * 1.1, `worker memory ${mb(third.worker)} → ${mb(last.worker)} MB`);
    assert.ok(last.heap <= third.heap * 1.1, `JS heap ${mb(third.heap)} → ${mb(last.heap)} MB`);
    assert.deepEqual(page.errors, []);
  });
}
