// The benchmark behind `make bench`, in one command and one table: CIFAR ResNet-20 training (width 16,
// 32×32×3, batch 64, 1×1 projection shortcuts — the peers' net) measured here for
//   - the lab in headless Chromium on the CPU path (Part 6 page, ?backend=cpu), one thread and all threads
//     (the site served cross-origin isolated, as `make serve` does),
//   - TensorFlow.js 4.22's wasm backend in the same Chromium (../shared/peers/tfjs), without and with threads,
//   - PyTorch on the CPU, natively (../shared/peers/torch_bench.py), one thread and all,
//   - the lab natively (`lab bench`, flex), one thread and all,
// then the ratios against issue 17's goals, the Part 1 nets on each browser backend, and first use of the
// release and the deployable build with the first-use goals.
// Usage: node bench.mjs [--browser-only] [--no-peers] [--no-first-use]   (LAB_DIST=target/site-dist: the dist build)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve, launch, openPage, root } from './harness.mjs';

const args = process.argv.slice(2);
const peers = !args.includes('--no-peers') && !args.includes('--browser-only');
const cores = os.cpus().length;
const log = (...a) => console.error('[bench]', ...a);

// ---- the lab in the browser
const RESNET20 = 'page=part6&family=cifar&depth=20&width=16&skip=projection&size=32&batch=64&samples=960&epochs=1&seed=1';
const PART1 = {
  cpu: 'page=part1&depths=8,16,32&width=8&samples=320&size=16&epochs=1&batch=32',
  // SwiftShader is a software GPU: a small run.
  webgpu: 'page=part1&depths=8&width=8&samples=80&size=16&epochs=1&batch=32',
};

async function trainPage(browser, base, query) {
  const page = await openPage(browser);
  try {
    await page.goto(`${base}?${query}`);
    await page.waitForSelector('[data-testid=backend]:not([data-backend=starting])', { timeout: 180_000 });
    const badge = await page.$eval('[data-testid=backend]', (b) => ({ backend: b.dataset.backend, threads: Number(b.dataset.threads) }));
    await page.click('[data-testid=train]');
    await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 1_800_000 });
    const series = await page.$$eval('[data-testid=details] li', (lis) => lis.map((li) => ({
      series: li.dataset.series, params: Number(li.dataset.params), ips: Number(li.dataset.ips) })));
    return { ...badge, series };
  } finally {
    await page.close();
  }
}

const { server, base } = await serve({ isolated: true });
const browser = await launch();
const browserRows = [];
const part1 = [];
try {
  for (const threads of [1, cores]) {
    log(`lab in Chromium, ResNet-20, ${threads} thread(s)`);
    const r = await trainPage(browser, base, `${RESNET20}&backend=cpu&threads=${threads}`);
    const net = r.series.find((s) => s.series.startsWith('ResNet'));
    browserRows.push({ system: `the lab in Chromium, CPU path (flex, wasm SIMD), ${r.threads} thread${r.threads > 1 ? 's' : ''}`, ips: net?.ips, threads: r.threads });
  }
  for (const [backend, query] of Object.entries(PART1)) {
    log(`lab in Chromium, Part 1 nets, ${backend}`);
    const r = await trainPage(browser, base, `${query}&backend=${backend}&threads=${cores}`);
    for (const s of r.series) part1.push({ backend: `${r.backend}${r.backend === 'cpu' ? `, ${r.threads} thread(s)` : ' (SwiftShader)'}`, ...s });
  }
} finally {
  await browser.close();
  server.close();
}

// ---- peers and the lab natively
const run = (cmd, a, opts = {}) => {
  const r = spawnSync(cmd, a, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts });
  if (r.status !== 0) log(`${cmd} ${a.join(' ')} exited ${r.status}`);
  return r.stdout || '';
};
const nativeRows = [];
for (const threads of args.includes('--browser-only') ? [] : [1, cores]) {
  log(`lab natively, ${threads} thread(s)`);
  const out = run('cargo', ['run', '--release', '--locked', '--quiet', '--bin', 'lab', '--', 'bench', '--models', 'resnet20', '--no-peer', '--steps', '5'],
    { env: { ...process.env, RAYON_NUM_THREADS: String(threads) } });
  const row = out.split('\n').find((l) => l.startsWith('| resnet20 '));
  nativeRows.push({ system: `the lab natively (flex), ${threads} thread${threads > 1 ? 's' : ''}`, ips: row ? Number(row.split('|')[3]) : NaN });
}
const peerRows = [];
if (peers) {
  for (const threads of [1, cores]) {
    log(`PyTorch, ${threads} thread(s)`);
    const out = run('python3', [path.resolve(root, '..', 'shared', 'peers', 'torch_bench.py'), '--model', 'resnet20', '--batch', '64', '--steps', '20', '--threads', String(threads), '--json']);
    const j = out.trim() ? JSON.parse(out.trim().split('\n').pop()) : {};
    peerRows.push({ key: `torch${threads}`, system: `PyTorch ${j.torch ?? ''} CPU, native, ${threads} thread${threads > 1 ? 's' : ''}`, ips: j.train_img_s ?? NaN });
  }
  const peerSrc = path.resolve(root, '..', 'shared', 'peers', 'tfjs');
  if (fs.existsSync(peerSrc)) {
    const peer = path.join(root, 'target', 'tfjs-peer');
    fs.rmSync(peer, { recursive: true, force: true });
    fs.cpSync(peerSrc, peer, { recursive: true });
    run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: peer });
    log('TensorFlow.js wasm, without and with threads');
    const out = run('node', ['run.mjs', '--models', 'resnet20', '--backends', 'wasm-nocoi,wasm', '--steps', '5'], { cwd: peer });
    for (const line of out.split('\n').filter((l) => l.startsWith('{'))) {
      const j = JSON.parse(line);
      const threaded = j.variant === 'wasm';
      peerRows.push({ key: threaded ? 'tfjsT' : 'tfjs1', system: `TensorFlow.js 4.22 wasm (SIMD) in Chromium, ${threaded ? 'threads (cross-origin isolated)' : 'one thread'}`, ips: j.train_img_s ?? NaN });
    }
  }
}

// ---- one table
const date = new Date().toISOString().slice(0, 10);
const peer = (k) => peerRows.find((r) => r.key === k)?.ips ?? NaN;
const [tfjs1, torch2] = [peer('tfjs1'), peer(`torch${cores}`)];
const ratio = (x, y) => (Number.isFinite(x) && Number.isFinite(y) && y > 0 ? (x / y).toFixed(2) : '—');
console.log(`\nCIFAR ResNet-20 training (width 16, 32×32×3, batch 64, projection shortcuts), ${date}, ${cores} cores, ${os.cpus()[0].model}`);
console.log(`| system | train img/s | × TensorFlow.js wasm (1 thread) | × PyTorch (${cores} threads) |`);
console.log('|---|---:|---:|---:|');
for (const r of [...browserRows, ...peerRows.filter((p) => p.key.startsWith('tfjs')), ...nativeRows, ...peerRows.filter((p) => p.key.startsWith('torch'))]) {
  console.log(`| ${r.system} | ${Number.isFinite(r.ips) ? r.ips.toFixed(1) : 'failed'} | ${ratio(r.ips, tfjs1)} | ${ratio(r.ips, torch2)} |`);
}
const best = browserRows[browserRows.length - 1]?.ips;
const single = browserRows[0]?.ips;
console.log(`\nGoals (issue 17): browser CPU path, all threads ≥ 5× TensorFlow.js wasm: ${ratio(best, tfjs1)}× — ${best / tfjs1 >= 5 ? 'met' : 'not met'}; ` +
  `≥ 0.25× native PyTorch (${cores} threads): ${ratio(best, torch2)}× — ${best / torch2 >= 0.25 ? 'met' : 'not met'}.`);
console.log(`Thread scaling, 1 → ${cores}: browser ${ratio(best, single)}×, lab native ${ratio(nativeRows[1]?.ips, nativeRows[0]?.ips)}×, PyTorch ${ratio(torch2, peer('torch1'))}×.`);
console.log('\nPart 1 nets in the browser (the numbers the page\'s "Run details" report; img/s include per-step reads and evaluation):');
console.log('| backend | net | params | train img/s |');
console.log('|---|---|---:|---:|');
for (const r of part1) console.log(`| ${r.backend} | ${r.series} | ${r.params} | ${r.ips.toFixed(1)} |`);

// ---- first use: the release build and the deployable one (make dist), each not isolated and isolated
if (!args.includes('--no-first-use')) {
  const sites = [['`make build` (release)', path.join(root, 'dist')], ['`make dist` (deployable)', path.join(root, 'target', 'site-dist')]]
    .filter(([, dir]) => fs.existsSync(path.join(dir, 'index.html')));
  const span = (rows, k) => `${(Math.min(...rows.map((r) => r[k])) / 1000).toFixed(2)}–${(Math.max(...rows.map((r) => r[k])) / 1000).toFixed(2)} s`;
  const results = [];
  for (const [name, dir] of sites) {
    for (const isolated of [false, true]) {
      log(`first use, ${name}, ${isolated ? 'isolated' : 'not isolated'}`);
      const out = run('node', ['first_use.mjs', '--json', ...(isolated ? ['--isolated'] : [])], { cwd: path.join(root, 'tests', 'e2e'), env: { ...process.env, LAB_DIST: dir } });
      const line = out.trim().split('\n').pop();
      if (line?.startsWith('{')) results.push({ name, isolated, rows: JSON.parse(line).rows });
    }
  }
  console.log('\nFirst use through a 20 Mbit/s link (gzip, cache off; Part 1 on the CPU; lowest–highest of 3 loads, read off the page\'s clock):');
  console.log('| build | isolated | transferred | page text shown (≤ 1 s) | compute badge ready (≤ 3 s) | first step after Train (≤ 2 s) |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.isolated ? 'yes' : 'no'} | ${r.rows[0].mb.toFixed(1)} MB | ${span(r.rows, 'text')} | ${span(r.rows, 'badge')} | ${span(r.rows, 'firstStep')} |`);
  }
  const deployable = results.filter((r) => r.name.includes('deployable')).flatMap((r) => r.rows);
  if (deployable.length) {
    const worst = (k) => Math.max(...deployable.map((r) => r[k])) / 1000;
    const goal = (k, limit) => `${worst(k).toFixed(2)} s — ${worst(k) <= limit ? 'met' : 'not met'}`;
    console.log(`Goals (issue 17), the deployable build's slowest load: page text ≤ 1 s: ${goal('text', 1)}; badge ≤ 3 s: ${goal('badge', 3)}; ` +
      `first step ≤ 2 s after Train: ${goal('firstStep', 2)}.`);
  } else {
    console.log('No deployable build (target/site-dist): `make dist` makes it; the goals are for it.');
  }
}
