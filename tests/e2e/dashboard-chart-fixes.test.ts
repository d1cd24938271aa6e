/**
 * Charts as a user reads them (issue 23, items 3 and 8): validation curves on a log axis join their
 * points instead of dropping a spike to the axis at every gap; no cursor dot outside the plot; a drag
 * zoom rescales y to the visible points; the horizontal cursor line stays on the hovered chart; x by
 * wall-clock time; compare overlays every per-step series, each legend label on one line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { MetricPoint } from '../../src/shared/api';
import { artifactPath, chromiumMissingReason } from './helpers/browser';
import { BASE_CONFIG, metricPoint, seedDatabase, startDashboard } from './helpers/dashboard-server';

const STEPS = 120;
const lossAt = (run: number, step: number) => (1.2 + run * 0.1) / (1 + step * 0.05) + 0.05 * Math.sin(step * 1.7 + run);
function points(run: number): MetricPoint[] {
  return Array.from({ length: STEPS }, (_, step) => {
    const metrics: Record<string, number> = { accuracy: 0.35 + step / 1000 };
    if (step % 10 === 9) Object.assign(metrics, { val_loss: lossAt(run, step) + 0.1, val_accuracy: 0.4 });
    const p = metricPoint(step, lossAt(run, step), metrics);
    return { ...p, learningRate: 1 - step / 1000, stepTimeMs: 3 + run, samplesPerSec: 1000 - run * 100 };
  });
}
const LONG = `a run with a long descriptive name ${'x'.repeat(60)}`;

/** Pixels of `rgb` (±40 per channel) in the plot's bottom `share` of a chart's canvas. */
const colourNearAxis = (page: Page, testid: string, rgb: [number, number, number], share: number) =>
  page.evaluate(
    ([id, [r, g, b], part]) => {
      const fig = document.querySelector(`[data-testid="${id}"]`)!;
      const canvas = fig.querySelector('canvas')!;
      const over = fig.querySelector('.u-over')!.getBoundingClientRect();
      const box = canvas.getBoundingClientRect();
      const k = canvas.width / box.width;
      const x0 = Math.round((over.left - box.left) * k);
      const y0 = Math.round((over.bottom - box.top - over.height * part) * k);
      const img = canvas.getContext('2d')!.getImageData(x0, y0, Math.round(over.width * k), Math.round(over.height * part * k));
      let n = 0;
      for (let i = 0; i < img.data.length; i += 4)
        if (Math.abs(img.data[i]! - r) < 40 && Math.abs(img.data[i + 1]! - g) < 40 && Math.abs(img.data[i + 2]! - b) < 40) n++;
      return n;
    },
    [testid, rgb, share] as const,
  );

test('charts: log scale, cursor, zoom, wall clock; compare overlays every series', { timeout: 180_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) return t.skip(reason);
  let ids: string[] = [];
  const d = await startDashboard((db) => {
    ids = seedDatabase(db, [
      { config: { ...BASE_CONFIG, name: 'one' }, points: points(0) },
      { config: { ...BASE_CONFIG, name: LONG }, points: points(1) },
    ]);
  });
  try {
    const page = await d.open(`#/run/${ids[0]}`, { width: 1280, height: 800 });
    await page.waitForFunction(() => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points') === '120');
    await page.getByTestId('chart-smoothing').fill('0');

    await t.test('log scale: no validation spike down to the axis', async () => {
      await page.getByTestId('chart-log').check();
      await page.waitForFunction(() => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-distr') === '3');
      await page.waitForTimeout(100); // the frame that draws the rebuilt plot
      await page.screenshot({ path: artifactPath('e2e', 'log-scale.png') });
      // val_loss is ≥ 0.3 here: on a log axis from ~0.12 its dashed line stays in the upper part.
      assert.equal(await colourNearAxis(page, 'chart-loss', [217, 72, 15], 0.12), 0, 'no val_loss pixel near the x axis');
      await page.getByTestId('chart-log').uncheck();
      // Unchecking destroys the plot and builds a linear one on a later frame: wait for it, or the
      // next test finds no plot to hover.
      await page.waitForFunction(() => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-distr') === '1');
    });

    await t.test('hovering: no cursor dot outside a plot; the horizontal line only on the hovered chart', async () => {
      const over = (await page.locator('[data-testid="chart-loss"] .u-over').boundingBox())!;
      // y where the loss chart reads 0.4: inside the accuracy chart's range too (0.35 … 0.47).
      const [yMin, yMax] = (await page.getByTestId('chart-loss').evaluate((el) => [el.dataset.yMin, el.dataset.yMax])).map(
        Number,
      );
      const y = over.y + over.height * (1 - (0.4 - yMin!) / (yMax! - yMin!));
      await page.mouse.move(over.x + over.width * 0.43, y);
      for (const id of ['chart-loss', 'chart-metric-accuracy']) {
        const stray = await page.getByTestId(id).evaluate((fig) => {
          const plot = fig.querySelector('.u-over')!.getBoundingClientRect();
          return Array.from(fig.querySelectorAll<HTMLElement>('.u-cursor-pt'))
            .filter((pt) => getComputedStyle(pt).display !== 'none')
            .map((pt) => pt.getBoundingClientRect())
            .filter((r) => r.width > 0 && (r.x + r.width / 2 < plot.left - 1 || r.y + r.height / 2 < plot.top - 1)).length;
        });
        assert.equal(stray, 0, `${id}: every visible cursor dot is inside its plot`);
      }
      const yLine = await page.locator('[data-testid="chart-metric-accuracy"]').evaluate((fig) => {
        const plot = fig.querySelector('.u-over')!.getBoundingClientRect();
        const line = fig.querySelector('.u-cursor-y')!.getBoundingClientRect();
        return line.top >= plot.top && line.top <= plot.bottom;
      });
      assert.equal(yLine, false, 'the accuracy chart shows no horizontal line for the loss chart’s y');
      await page.mouse.move(2, 2);
    });

    await t.test('a drag zoom rescales y to the visible points', async () => {
      const full = Number(await page.getByTestId('chart-loss').getAttribute('data-y-max'));
      const over = (await page.locator('[data-testid="chart-loss"] .u-over').boundingBox())!;
      await page.mouse.move(over.x + over.width * 0.5, over.y + over.height / 2);
      await page.mouse.down();
      await page.mouse.move(over.x + over.width * 0.9, over.y + over.height / 2, { steps: 5 });
      await page.mouse.up();
      await page.waitForFunction(
        (max) => Number(document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-y-max')) < max,
        full,
      );
      // Steps ~60…108 are visible: loss and val_loss there stay below 0.55 (full range: up to 1.2).
      const zoomed = Number(await page.getByTestId('chart-loss').getAttribute('data-y-max'));
      const visibleMax = Math.max(
        ...points(0)
          .slice(55)
          .flatMap((p) => [p.loss, p.metrics.val_loss ?? 0]),
      );
      assert.ok(
        zoomed < full && zoomed <= visibleMax * 1.15,
        `y max after zoom ${zoomed}, visible max ${visibleMax}, full ${full}`,
      );
      await page.locator('[data-testid="chart-loss"] .u-over').dblclick();
    });

    await t.test('x by wall-clock time', async () => {
      await page.getByTestId('chart-x').selectOption('wall');
      await page.waitForFunction(() => document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-x') === 'wall');
      await page.mouse.move(2, 2);
      const over = (await page.locator('[data-testid="chart-loss"] .u-over').boundingBox())!;
      await page.mouse.move(over.x + 2, over.y + over.height / 2);
      const shown = await page
        .locator('[data-testid="chart-loss"] .u-legend .u-series')
        .first()
        .locator('.u-value')
        .textContent();
      assert.equal(shown, new Date(1_700_000_000_000).toLocaleTimeString('en-GB'), 'the first point’s clock time');
      await page.getByTestId('chart-x').selectOption('step');
    });

    await t.test('compare: every per-step series overlaid, legend labels on one line, "2 runs"', async () => {
      await page.goto(`${d.server.url}#/compare/${ids.join(',')}`);
      await page.getByTestId('diff-table').waitFor();
      assert.equal(await page.locator('.view-compare .lead').textContent(), '2 runs');
      for (const id of ['compare-chart-lr', 'compare-chart-grad-norm', 'compare-chart-throughput', 'compare-chart-step-time']) {
        await page.waitForFunction(
          (c) => document.querySelector(`[data-testid="${c}"]`)?.getAttribute('data-points') === '120',
          id,
        );
        // The legend is rebuilt when the runs' series arrive, which can be after the points are counted.
        await page.waitForFunction(
          (c) => document.querySelectorAll(`[data-testid="${c}"] .u-legend .u-series:not([hidden]) .u-label`).length >= 3,
          id,
        );
        const labels = await page.locator(`[data-testid="${id}"] .u-legend .u-series:not([hidden]) .u-label`).allTextContents();
        assert.deepEqual(labels.slice(1), ['one', LONG], `${id}: one series per run`);
      }
      const heights = await page
        .locator('[data-testid="compare-chart"] .u-legend .u-label')
        .evaluateAll((ls) => ls.map((l) => l.getBoundingClientRect().height));
      assert.ok(Math.max(...heights) < 20, `one line per legend label (${heights})`);
      await page.screenshot({ path: artifactPath('e2e', 'compare-every-series.png'), fullPage: true });
    });
    assert.deepEqual(d.errors, [], 'no uncaught errors in the page');
  } finally {
    await d.close();
  }
});
