// First use over a slow link: the e2e server sends the site gzipped, as a static host would, through
// one 20 Mbit/s link shared by the page and its worker (CDP's network emulation does not reach a
// dedicated worker's fetches); the browser cache is off. Prints when
// the landing page's text shows, when the compute badge is ready, and how long after Train the first
// training step is plotted. Usage: node first_use.mjs [--mbit 20] [--isolated]   (LAB_DIST=target/site-dist for the
// dist build; --isolated sends COOP/COEP, so the CPU path starts the threaded worker)
import { serve, launch, openPage, dist } from './harness.mjs';

const args = process.argv.slice(2);
const mbit = Number(args[args.indexOf('--mbit') + 1] || 20) || 20;
const isolated = args.includes('--isolated');
const { server, base } = await serve({ gzip: true, mbit, isolated });
const browser = await launch({ webgpu: false });
const rows = [];
try {
  for (const run of [1, 2, 3]) {
    const page = await openPage(browser);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    let bytes = 0;
    page.on('response', async (r) => { bytes += Number((await r.allHeaders())['content-length'] || 0); });
    const t0 = Date.now();
    await page.goto(`${base}?page=part1&backend=cpu&depths=4&width=4&samples=64&size=8&epochs=1`, { waitUntil: 'commit' });
    await page.waitForSelector('.lede', { timeout: 120_000 });
    const text = Date.now() - t0;
    await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
    const badge = Date.now() - t0;
    const t1 = Date.now();
    await page.click('[data-testid=train]');
    await page.waitForSelector('[data-testid=loss-chart] .legend li:not([data-points="0"])', { timeout: 120_000 });
    const firstStep = Date.now() - t1;
    rows.push({ run, text, badge, firstStep, mb: bytes / 1e6 });
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
console.log(`First use of ${dist} through a ${mbit} Mbit/s link (gzip, cache off), Part 1 on the CPU, ` +
  `${isolated ? 'cross-origin isolated (the threaded CPU worker)' : 'not isolated (the single-threaded worker)'}:`);
console.log('| run | page text shown | compute badge ready | first step after Train | transferred |');
console.log('|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.run} | ${(r.text / 1000).toFixed(2)} s | ${(r.badge / 1000).toFixed(2)} s | ${(r.firstStep / 1000).toFixed(2)} s | ${r.mb.toFixed(1)} MB |`);
