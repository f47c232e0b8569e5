// Shared e2e plumbing: serve dist/ on loopback, start Debian's Chromium headless (with WebGPU on
// SwiftShader), collect page errors, take screenshots under target/e2e/.
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import zlib from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const dist = process.env.LAB_DIST || path.join(root, 'dist');
export const shots = path.join(root, 'target', 'e2e');
export const fixtures = path.join(here, 'fixtures');
/// The same site is also served under this sub-path, as a course site would host it.
export const SUBPATH = '/course/resnet/';

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.png': 'image/png',
  '.txt': 'text/plain', '.svg': 'image/svg+xml', '.bin': 'application/octet-stream', '.gz': 'application/gzip',
};

/// `gzip`: compress what a static host would (HTML, JS, CSS, wasm) when the browser accepts it;
/// `mbit`: send everything through one link of that speed (the page's and its worker's requests
/// share it). Both for the first-use benchmark; the tests serve files as they are, at full speed.
/// `isolated`: send COOP and COEP, as `make serve` does, so the site's pages are cross-origin isolated
/// and the CPU path may use threads (the test pages under /__fixtures__ never get them).
export function serve({ gzip = false, mbit = 0, isolated = false } = {}) {
  const zipped = new Map();
  // When the shared link is next free (ms since the epoch).
  let linkFree = 0;
  const send = (res, body) => {
    server.bytesSent += body.length;
    if (!mbit) return res.end(body);
    const chunk = 16_384;
    // One clock reading for all of a response's deadlines, and end() together with its last part: read
    // one by one, the clock could tick between them and schedule end() a millisecond before the last
    // write, cutting the body short (Chromium: ERR_CONTENT_LENGTH_MISMATCH, a page that never starts).
    const now = Date.now();
    linkFree = Math.max(linkFree, now);
    for (let at = 0; at < body.length; at += chunk) {
      const part = body.subarray(at, at + chunk);
      const last = at + chunk >= body.length;
      linkFree += (part.length * 8) / (mbit * 1000);
      setTimeout(() => {
        if (res.destroyed) return;
        res.write(part);
        if (last) res.end();
      }, linkFree - now);
    }
    if (!body.length) res.end();
  };
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    throw new Error(`no built site at ${dist}: run 'make test' (or 'trunk build --release') first`);
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    // /__fixtures__/… are test pages (a course page embedding the lab); /course/resnet/… is the
    // site under a sub-path; everything else is the site at the root.
    let [dir, rel] = [dist, url.pathname];
    if (rel.startsWith('/__fixtures__/')) [dir, rel] = [fixtures, rel.slice('/__fixtures__'.length)];
    else if (rel.startsWith(SUBPATH)) rel = rel.slice(SUBPATH.length - 1);
    else if (rel === SUBPATH.slice(0, -1)) { res.writeHead(301, { location: SUBPATH }); return res.end(); }
    // A test may make some of the site's files missing (server.missing: names), as a broken upload would.
    if (server.missing?.some((name) => rel.endsWith(`/${name}`))) { res.writeHead(404); return res.end('not found'); }
    let file = path.normalize(path.join(dir, decodeURIComponent(rel)));
    if (!file.startsWith(dir)) { res.writeHead(403); return res.end(); }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (isolated && dir === dist) {
      res.setHeader('cross-origin-opener-policy', 'same-origin');
      res.setHeader('cross-origin-embedder-policy', 'require-corp');
    }
    fs.readFile(file, (err, body) => {
      if (err) { res.writeHead(404); return res.end('not found'); }
      const type = MIME[path.extname(file)] || 'application/octet-stream';
      if (gzip && /gzip/.test(req.headers['accept-encoding'] || '') && ['.html', '.js', '.css', '.wasm'].includes(path.extname(file))) {
        if (!zipped.has(file)) zipped.set(file, zlib.gzipSync(body, { level: 9 }));
        const z = zipped.get(file);
        res.writeHead(200, { 'content-type': type, 'content-encoding': 'gzip', 'content-length': z.length });
        return send(res, z);
      }
      res.writeHead(200, { 'content-type': type, 'content-length': body.length });
      if (!(server.slowData && rel.includes('/data/'))) return send(res, body);
      // A slow link for the datasets (a test sets server.slowData): 256 KB every 100 ms, 2.5 MB/s.
      let at = 0;
      const next = () => {
        if (res.destroyed) return;
        res.write(body.subarray(at, at + 262_144));
        at += 262_144;
        if (at < body.length) setTimeout(next, 100); else res.end();
      };
      next();
    });
  });
  server.bytesSent = 0;
  // Resolves when the link has sent everything queued (a closed page's downloads included), so the next
  // measured load starts on an idle link.
  server.linkIdle = () => new Promise((resolve) => setTimeout(resolve, Math.max(0, linkFree - Date.now()) + 50));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, base: `http://127.0.0.1:${server.address().port}/` });
  }));
}

export async function launch({ webgpu = true, exposeGc = false } = {}) {
  const executablePath = process.env.CHROMIUM || ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => fs.existsSync(p));
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // playwright gives every launch a fresh, empty profile (the --user-data-dir the brief asks for).
    args: [
      '--headless=new', '--no-sandbox', '--disable-gpu', ...(webgpu ? ['--enable-unsafe-webgpu'] : []), '--disable-quic',
      '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ...(exposeGc ? ['--js-flags=--expose-gc', '--enable-precise-memory-info'] : []),
    ],
  });
  return browser;
}

/// A fresh page that records console errors and uncaught exceptions.
export async function openPage(browser, viewport = { width: 1200, height: 1500 }) {
  const page = await browser.newPage({ viewport });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(m.text());
    if (process.env.E2E_VERBOSE) console.error('[console]', m.type(), m.text());
  });
  return page;
}

export async function screenshot(page, name) {
  fs.mkdirSync(shots, { recursive: true });
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/// Starts recording main-thread long tasks (> 50 ms) into window.__longTasks.
export async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });
}

/// True when the canvas inside `selector` has drawn (non-white) pixels of a line colour.
export async function canvasHasInk(page, selector) {
  return page.$eval(`${selector} canvas`, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let coloured = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
    }
    return coloured;
  });
}

/// Registers node:test hooks that serve the site and start a browser for the file's tests; the
/// returned object's `base` and `browser` are set once `before` has run.
export function useSite(before, after, options, serveOptions) {
  const site = {};
  before(async () => {
    ({ server: site.server, base: site.base } = await serve(serveOptions));
    site.browser = await launch(options);
  });
  after(async () => {
    await site.browser?.close();
    site.server?.close();
  });
  return site;
}
