// Browser benchmark: trains the Part 1 nets in headless Chromium on each available backend and prints
// training images/s, next to the TensorFlow.js peer (../shared/peers/tfjs) run in the same command.
// Usage: node bench.mjs [--backends cpu,webgpu] [--no-peer]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { serve, launch, openPage, root } from './harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const backends = opt('--backends', 'cpu,webgpu').split(',');
// Part 1 nets at the page's default size; the WebGPU run is smaller (SwiftShader is a software GPU).
const configs = {
  cpu: 'depths=8,16,32&width=8&samples=320&size=16&epochs=1&batch=32',
  webgpu: 'depths=8&width=8&samples=80&size=16&epochs=1&batch=32',
};

const { server, base } = await serve();
const browser = await launch();
const rows = [];
try {
  for (const backend of backends) {
    const page = await openPage(browser);
    await page.goto(`${base}?page=part1&backend=${backend}&${configs[backend]}`);
    await page.waitForSelector('[data-testid=backend]:not([data-backend=starting])', { timeout: 120_000 });
    const got = await page.getAttribute('[data-testid=backend]', 'data-backend');
    if (got !== backend) { rows.push({ backend, error: `backend came up as ${got}` }); continue; }
    await page.click('[data-testid=train]');
    await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 900_000 });
    const series = await page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => ({
      series: li.dataset.series, params: Number(li.dataset.params), ips: Number(li.dataset.ips) })));
    for (const s of series) rows.push({ backend, ...s });
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log('| backend | net | params | train img/s (incl. per-step reads, eval) |');
console.log('|---|---|---:|---:|');
for (const r of rows) console.log(r.error ? `| ${r.backend} | — | — | ${r.error} |` : `| ${r.backend} | ${r.series} | ${r.params} | ${r.ips.toFixed(1)} |`);

// The TensorFlow.js peer in the same Chromium, same command.
if (!args.includes('--no-peer')) {
  const peerSrc = path.resolve(root, '..', 'shared', 'peers', 'tfjs');
  if (fs.existsSync(peerSrc)) {
    const peer = path.join(root, 'target', 'tfjs-peer');
    fs.rmSync(peer, { recursive: true, force: true });
    fs.cpSync(peerSrc, peer, { recursive: true });
    const run = (cmd, a) => spawnSync(cmd, a, { cwd: peer, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']).status === 0) {
      const r = run('node', ['run.mjs', '--models', 'resnet20', '--backends', 'wasm-nocoi', '--steps', '3']);
      console.log('tfjs peer (ResNet-20, batch 64, wasm SIMD):');
      console.log(r.stdout.trim());
    } else console.log('tfjs peer: npm ci failed');
  } else console.log('tfjs peer: ../shared/peers/tfjs not found');
}
