// Part 3: models built in the worker, counted and timed; the page's numbers are the models'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useSite, openPage, screenshot, canvasHasInk } from './harness.mjs';

const site = useSite(before, after);

test('Part 3 builds the chosen ResNets, shows their exact counts, times a forward pass and charts them', async () => {
  const page = await openPage(site.browser);
  await page.goto(`${site.base}?page=part3&models=resnet18,resnet50,resnet20&size=32&backend=cpu`);
  await page.waitForSelector('[data-testid=backend][data-backend=cpu]', { timeout: 120_000 });
  // Add ResNet-34 with the keyboard-usable checkbox.
  await page.check('[data-testid=model-resnet34]');
  // And one of the module's variants: DenseNet-BC-100 with growth rate 12.
  await page.check('[data-testid=model-densenet-bc-100-12]');
  await page.waitForFunction(() => location.search.includes('resnet18%2Cresnet34') || location.search.includes('resnet18,resnet34'));
  await page.click('[data-testid=measure]');
  await page.waitForSelector('[data-testid=progress]:not([data-phase=running])', { timeout: 180_000 });
  assert.equal(await page.getAttribute('[data-testid=progress]', 'data-phase'), 'done');
  const rows = await page.$$eval('[data-testid=arch-table] tbody tr', (trs) => trs.map((tr) => ({ ...tr.dataset })));
  const byName = Object.fromEntries(rows.map((r) => [r.model, r]));
  // torchvision (1000 classes) and He et al. (10 classes) parameter counts.
  assert.equal(byName['ResNet-18'].params, '11689512');
  assert.equal(byName['ResNet-34'].params, '21797672');
  assert.equal(byName['ResNet-50'].params, '25557032');
  assert.equal(byName['ResNet-20'].params, '269722');
  // Huang et al.'s 0.8M (tests/reference/variant_counts.py: 769,162); 3 dense blocks of 16 layers.
  assert.equal(byName['DenseNet-BC-100 (k=12)'].params, '769162');
  assert.deepEqual(rows.map((r) => r.blocks), ['8', '16', '16', '9', '48']);
  for (const r of rows) {
    assert.ok(Number(r.macs) > 0 && Number(r.ms) > 0, JSON.stringify(r));
  }
  assert.ok(await canvasHasInk(page, '[data-testid=arch-chart]') > 500);
  assert.match(await page.textContent('[data-testid=readout]'), /ResNet-50 has 16 blocks to ResNet-34's 16/);
  await page.selectOption('#metric', 'macs');
  await page.waitForFunction(() => document.querySelector('[data-testid=arch-chart] figcaption').textContent.includes('Multiply-adds'));
  const chartValues = await page.$$eval('[data-testid=arch-chart] tr', (trs) => trs.map((tr) => tr.dataset.value));
  assert.deepEqual(chartValues, rows.map((r) => r.macs), 'the chart plots the measured multiply-adds');
  await page.waitForTimeout(300);
  // One model drawn from its plan: ResNet-50 by default (16 blocks in 4 stages), then CIFAR ResNet-110.
  assert.deepEqual(await page.$eval('[data-testid=net-diagram]', (f) => [f.dataset.blocks, f.dataset.stages]), ['16', '4']);
  await page.selectOption('#draw', 'resnet110');
  await page.waitForSelector('[data-testid=net-diagram][data-blocks="54"][data-stages="3"]');
  assert.equal(await page.getAttribute('[data-testid=net-diagram]', 'data-params'), '1727962');
  // torchvision's DenseNet-121: 58 dense layers in 4 blocks, 7,978,856 parameters, drawn from the plan.
  await page.selectOption('#draw', 'densenet121');
  await page.waitForSelector('[data-testid=net-diagram][data-blocks="58"][data-stages="4"]');
  assert.equal(await page.getAttribute('[data-testid=net-diagram]', 'data-params'), '7978856');
  await screenshot(page, 'part3');
  assert.deepEqual(page.errors, []);
});
