/**
 * Charts and compare in a browser, against the real engine on a temp database holding three finished
 * runs with training and validation metrics: smoothing (checked against TensorBoard's formula restated
 * here), log y, x by time, one cursor across charts, and compare with only the differing config keys.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { MetricPoint } from '../../src/shared/api';
import { chromiumMissingReason } from './helpers/browser';
import { BASE_CONFIG, metricPoint, seedDatabase, startDashboard, type Dashboard } from './helpers/dashboard-server';

const STEPS = 120;
/** Deterministic, noisy, decreasing: what a training loss looks like. */
const lossAt = (run: number, step: number) => (1.2 + run * 0.1) / (1 + step * 0.05) + 0.05 * Math.sin(step * 1.7 + run);
const accAt = (run: number, step: number) => Math.min(1, 0.3 + step / 200 + 0.02 * Math.cos(step + run));
function points(run: number): MetricPoint[] {
  return Array.from({ length: STEPS }, (_, step) => {
    const metrics: Record<string, number> = { accuracy: accAt(run, step) };
    if (step % 10 === 9) Object.assign(metrics, { val_loss: lossAt(run, step) + 0.1, val_accuracy: accAt(run, step) - 0.05 });
    return metricPoint(step, lossAt(run, step), metrics);
  });
}

/** TensorBoard's debiased EMA at the last point, restated as a closed-form sum. */
function tensorBoardLast(ys: number[], w: number): number {
  const n = ys.length;
  let sum = 0;
  for (let k = 1; k <= n; k++) sum += (1 - w) * w ** (n - k) * ys[k - 1];
  return sum / (1 - w ** n);
}

const LONG_LAYOUT = `dense_${'very_long_layer_name_'.repeat(8)}.*kernel`;
let ids: string[] = [];

const legendValues = (page: Page, testid: string) =>
  page
    .locator(`[data-testid="${testid}"] .u-legend .u-series`)
    .evaluateAll((rows) =>
      rows
        .filter((r) => !(r as HTMLElement).hidden)
        .map((r) => [r.querySelector('.u-label')?.textContent ?? '', r.querySelector('.u-value')?.textContent ?? '']),
    );
/** A chart's legend exists once uPlot has a width to draw in: wait for at least `n` rows. */
const waitForLegend = (page: Page, testid: string, n: number) =>
  page.waitForFunction(([id, rows]) => document.querySelectorAll(`[data-testid="${id}"] .u-legend .u-series`).length >= rows, [
    testid,
    n,
  ] as const);
const data = (page: Page, testid: string, key: string) => page.getByTestId(testid).getAttribute(`data-${key}`);

test('charts: smoothing, log y, x by time, synced cursor; compare three runs', { timeout: 180_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) return t.skip(reason);
  const d: Dashboard = await startDashboard((db) => {
    ids = seedDatabase(db, [
      { config: { ...BASE_CONFIG, name: 'lr 1.0' }, points: points(0) },
      { config: { ...BASE_CONFIG, name: 'lr 0.5', optimizer: { learning_rate: 0.5, epsilon: 1e-7 } }, points: points(1) },
      {
        config: { ...BASE_CONFIG, name: 'lr 1.0 sharded', layouts: { [LONG_LAYOUT]: ['batch', 'unsharded'] } },
        points: points(2),
      },
    ]);
  });
  try {
    const page = await d.open(`#/run/${ids[0]}`);
    await page.waitForFunction(() => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points') === '120');

    await t.test('train and validation curves share a chart', async () => {
      await waitForLegend(page, 'chart-metric-accuracy', 5);
      const labels = (await legendValues(page, 'chart-loss')).map(([l]) => l);
      assert.deepEqual(labels, ['step', 'loss', 'val_loss']);
      const acc = (await legendValues(page, 'chart-metric-accuracy')).map(([l]) => l);
      assert.deepEqual(acc, ['step', 'accuracy', 'val_accuracy']);
    });

    await t.test('smoothing follows TensorBoard’s EMA; 0 shows the raw curve', async () => {
      const losses = points(0).map((p) => p.loss);
      await page.getByTestId('chart-smoothing').fill('0.9');
      await page.waitForFunction(
        () => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-smoothing') === '0.9',
      );
      const shown = Number(await data(page, 'chart-loss', 'last-shown'));
      assert.ok(Math.abs(shown - tensorBoardLast(losses, 0.9)) < 1e-12, `${shown} vs ${tensorBoardLast(losses, 0.9)}`);
      assert.equal(Number(await data(page, 'chart-loss', 'last-raw')), losses.at(-1), 'the raw curve is still drawn beside it');
      assert.equal(await data(page, 'chart-lr', 'smoothing'), '0', 'the learning rate is never smoothed');
      await page.screenshot({ path: '/tmp/dash-live-smoothed.png', fullPage: true });
      await page.getByTestId('chart-smoothing').fill('0');
      await page.waitForFunction(
        () => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-smoothing') === '0',
      );
      assert.equal(Number(await data(page, 'chart-loss', 'last-shown')), losses.at(-1));
    });

    await t.test('log-scale y and x by relative time', async () => {
      await page.getByTestId('chart-log').check();
      await page.waitForFunction(
        () => document.querySelector('[data-testid="chart-grad-norm"]')?.getAttribute('data-distr') === '3',
      );
      assert.equal(await data(page, 'chart-loss', 'y-scale'), 'log');
      await page.getByTestId('chart-log').uncheck();
      await page.waitForFunction(() => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-distr') === '1');
      await page.getByTestId('chart-x').selectOption('time');
      await page.waitForFunction(() => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-x') === 'time');
      assert.equal((await legendValues(page, 'chart-loss'))[0][0], 'time');
      await page.getByTestId('chart-x').selectOption('step');
      await page.waitForFunction(() => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-x') === 'step');
    });

    await t.test('one cursor: hovering the loss chart shows every chart’s values at the same step', async () => {
      const over = page.locator('[data-testid="chart-loss"] .u-over');
      const box = (await over.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
      const [[, step]] = await legendValues(page, 'chart-loss');
      assert.match(step, /^\d+$/, `a step under the cursor (got ${step})`);
      for (const id of ['chart-lr', 'chart-metric-accuracy', 'chart-step-time']) {
        const [[, other]] = await legendValues(page, id);
        assert.equal(other, step, `${id} shows the same step`);
      }
      const accuracy = (await legendValues(page, 'chart-metric-accuracy'))[1][1];
      assert.equal(Number(accuracy), Number(accAt(0, Number(step)).toPrecision(3)), 'the accuracy at that step');
    });

    await t.test('compare three runs: every metric overlaid, only differing keys, "—" where a run lacks one', async () => {
      await page.goto(`${d.server.url}#/compare/${ids.join(',')}`);
      await page.getByTestId('diff-table').waitFor();
      await page.waitForFunction(
        () => document.querySelector('[data-testid="compare-chart-accuracy"]')?.getAttribute('data-points') === '120',
      );
      assert.equal(await data(page, 'compare-chart', 'points'), '120');
      await waitForLegend(page, 'compare-chart', 7);
      const lossLabels = (await legendValues(page, 'compare-chart')).map(([l]) => l).slice(1);
      assert.deepEqual(lossLabels, [
        'lr 1.0 · loss',
        'lr 1.0 · val_loss',
        'lr 0.5 · loss',
        'lr 0.5 · val_loss',
        'lr 1.0 sharded · loss',
        'lr 1.0 sharded · val_loss',
      ]);
      const rows = await page
        .locator('[data-testid="diff-table"] tbody tr')
        .evaluateAll((trs) => trs.map((tr) => Array.from(tr.children, (c) => c.textContent)));
      assert.deepEqual(rows, [
        [`layouts.${LONG_LAYOUT}`, '—', '—', '["batch","unsharded"]'],
        ['name', 'lr 1.0', 'lr 0.5', 'lr 1.0 sharded'],
        ['optimizer.learning_rate', '1', '0.5', '1'],
        ['optimizer.rho', '0.95', '—', '0.95'],
      ]);
      const fit = await page.locator('.diff-wrap').evaluate((el) => [el.scrollWidth, el.clientWidth]);
      assert.ok(fit[0] <= fit[1], `the diff table fits its box (${fit[0]} > ${fit[1]})`);
      await page.screenshot({ path: '/tmp/dash-compare.png', fullPage: true });
      await page.setViewportSize({ width: 640, height: 900 });
      await page.waitForTimeout(300);
      const narrow = await page.locator('.diff-wrap').evaluate((el) => [el.scrollWidth, el.clientWidth]);
      assert.ok(narrow[0] <= narrow[1], `…also at 640 px (${narrow[0]} > ${narrow[1]})`);
      await page.screenshot({ path: '/tmp/dash-compare-narrow.png', fullPage: true });
    });
    assert.deepEqual(d.errors, [], 'no uncaught errors in the page');
  } finally {
    await d.close();
  }
});
