// The residual variants page: line up families, size them alike, train them, read the trade-offs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);

const lineup = (page) => page.$$eval('[data-testid=lineup] li', (lis) => lis.map((li) => ({ ...li.dataset })));

test('Variants: add an SE net, match parameters, train three families, table, scatters and claims from the runs', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=variants&nets=resnet8@8,densenet-bc-10-4@8&samples=160&size=8&epochs=2&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  assert.deepEqual((await lineup(page)).map((n) => n.label), ['ResNet-8 width 8', 'DenseNet-BC-10 (k=4) width 8']);
  // Add an SE-ResNet from the form; an impossible ResNeXt is refused with the reason.
  await page.selectOption('#family', 'resnext');
  await page.fill('#width', '2');
  assert.match(await page.textContent('[data-testid=draft-error]'), /< 1 channel/);
  assert.equal(await page.isDisabled('[data-testid=add]'), true);
  await page.selectOption('#family', 'se');
  await page.fill('#depth', '8');
  await page.fill('#width', '4');
  await page.fill('#reduction', '8');
  await page.click('[data-testid=add]');
  let nets = await lineup(page);
  assert.deepEqual(nets.map((n) => n.label), ['ResNet-8 width 8', 'DenseNet-BC-10 (k=4) width 8', 'SE-ResNet-8 (r=8) width 4']);
  // Match parameters: every net re-sized to within 10 % of the first's planned count.
  await page.click('[data-testid=match]');
  await page.waitForFunction(() => document.querySelector('[data-testid=lineup] li:nth-child(3)')?.dataset.label !== 'SE-ResNet-8 (r=8) width 4');
  nets = await lineup(page);
  const target = Number(nets[0].params);
  for (const n of nets) assert.ok(Math.abs(Number(n.params) / target - 1) <= 0.1, JSON.stringify(nets));
  await page.waitForFunction(() => location.search.includes('se-resnet8-r8'));

  await page.click('[data-testid=train]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 180_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done', await page.textContent('.progress-text'));
  const rows = await page.$$eval('[data-testid=tradeoffs] tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset })));
  assert.deepEqual(rows.map((r) => r.series), nets.map((n) => n.label));
  // The planned counts (no burn) equal the trained nets' counts; the run measured MACs and step times.
  assert.deepEqual(rows.map((r) => r.params), nets.map((n) => n.params));
  for (const r of rows) assert.ok(Number(r.macs) > 1000 && Number(r.stepMs) > 0 && Number(r.valAcc) >= 0, JSON.stringify(r));
  for (const id of ['scatter-params', 'scatter-time']) {
    const pts = await page.$$eval(`[data-testid=${id}] .legend li`, (lis) => lis.map((li) => Number(li.dataset.points)));
    assert.deepEqual(pts, [1, 1, 1], id);
    assert.ok(await canvasHasInk(page, `[data-testid=${id}]`) > 200, id);
  }
  // The DenseNet claim is read from this run: it quotes the measured accuracies.
  const readout = await page.textContent('[data-testid=readout]');
  const m = readout.match(/DenseNet "parameter efficient": (.+?) reached ([\d.]+)% vs ([\d.]+)% for (.+?) with/);
  assert.ok(m, readout);
  assert.equal(m[1], rows[1].series);
  assert.equal(m[4], rows[0].series);
  assert.ok(Math.abs(Number(m[2]) - Number(rows[1].valAcc) * 100) < 0.051, readout);
  assert.ok(Math.abs(Number(m[3]) - Number(rows[0].valAcc) * 100) < 0.051, readout);
  // Each block drawn: concatenation for DenseNet, the SE gate for SE-ResNet.
  const sketches = await page.$$eval('[data-testid=sketches] figure', (fs) => fs.map((f) => ({ merge: f.dataset.merge, text: f.textContent })));
  assert.match(sketches[1].merge, /^concatenate/);
  assert.match(sketches[2].text, /SE gate/);
  assert.match(sketches[0].merge, /^add/);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=csv]')]);
  const text = fs.readFileSync(await download.path(), 'utf8');
  assert.equal(text.trim().split('\n').length, 4, text);
  await screenshot(page, 'variants');
  assert.deepEqual(page.errors, []);
});

test('Variants: a bad line-up in the URL is explained and the page stays usable', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=variants&nets=resnet50,wrn-11-2,wrn-10-1@4&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  const notes = await page.textContent('[data-testid=clamp-notes]');
  assert.match(notes, /ImageNet-size/);
  assert.match(notes, /6n\+4/);
  assert.deepEqual((await lineup(page)).map((n) => n.label), ['WRN-10-1 width 4']);
  assert.equal(await page.isDisabled('[data-testid=train]'), false);
  assert.deepEqual(page.errors, []);
});
