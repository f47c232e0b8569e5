// First use over a slow link: the e2e server sends the site gzipped, as a static host would, through
// one 20 Mbit/s link shared by the page and its worker (CDP's network emulation does not reach a
// dedicated worker's fetches); the browser cache is off, and each load starts once the link has sent
// everything the previous page had queued. Prints when the landing page's text shows, when the compute
// badge is ready, and how long after Train the first training step is plotted — each read off the
// page's own clock (performance.now(), from navigation start) at the first frame after the element
// appears: playwright's waitForSelector polls at up to 500 ms intervals, which is coarser than what
// is measured. Usage: node first_use.mjs [--mbit 20] [--isolated]   (LAB_DIST=target/site-dist for the
// dist build; --isolated sends COOP/COEP, so the CPU path starts the threaded worker; --json prints the
// rows as one JSON line instead of a table)
import { serve, launch, openPage, dist } from './harness.mjs';

const args = process.argv.slice(2);
const mbit = Number(args[args.indexOf('--mbit') + 1] || 20) || 20;
const isolated = args.includes('--isolated');
const { server, base } = await serve({ gzip: true, mbit, isolated });
const browser = await launch({ webgpu: false });
const WATCH = {
  text: '.lede',
  badge: '[data-testid=backend][data-backend=cpu]',
  step: '[data-testid=loss-chart] .legend li:not([data-points="0"])',
};
const rows = [];
try {
  for (const run of [1, 2, 3]) {
    await server.linkIdle();
    const sentBefore = server.bytesSent;
    const page = await openPage(browser);
    // Before any of the page's scripts: note the time of the first frame after each watched element appears.
    await page.addInitScript((watch) => {
      window.__seen = {};
      const observer = new MutationObserver(() => {
        for (const [name, selector] of Object.entries(watch)) {
          if (!(name in window.__seen) && document.querySelector(selector)) {
            window.__seen[name] = null;
            requestAnimationFrame(() => { window.__seen[name] = performance.now(); });
          }
        }
        if (Object.keys(window.__seen).length === Object.keys(watch).length) observer.disconnect();
      });
      observer.observe(document, { childList: true, subtree: true, attributes: true });
    }, WATCH);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    const seen = (name) => page.waitForFunction((n) => typeof window.__seen[n] === 'number' && window.__seen[n], name, { timeout: 120_000 })
      .then((h) => h.jsonValue());
    await page.goto(`${base}?page=part1&backend=cpu&depths=4&width=4&samples=64&size=8&epochs=1`, { waitUntil: 'commit' });
    const text = await seen('text');
    const badge = await seen('badge');
    const clicked = await page.evaluate(() => { document.querySelector('[data-testid=train]').click(); return performance.now(); });
    const firstStep = (await seen('step')) - clicked;
    rows.push({ run, text, badge, firstStep });
    await page.close();
    await server.linkIdle();
    rows.at(-1).mb = (server.bytesSent - sentBefore) / 1e6;
  }
} finally {
  await browser.close();
  server.close();
}
if (args.includes('--json')) {
  console.log(JSON.stringify({ dist, isolated, mbit, rows }));
} else {
  console.log(`First use of ${dist} through a ${mbit} Mbit/s link (gzip, cache off), Part 1 on the CPU, ` +
    `${isolated ? 'cross-origin isolated (the threaded CPU worker)' : 'not isolated (the single-threaded worker)'}:`);
  console.log('| run | page text shown | compute badge ready | first step after Train | transferred |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.run} | ${(r.text / 1000).toFixed(2)} s | ${(r.badge / 1000).toFixed(2)} s | ${(r.firstStep / 1000).toFixed(2)} s | ${r.mb.toFixed(1)} MB |`);
}
