/**
 * The run page's new tabs, against a real 2-device run: the Optimizer tab shows the workers' per-layer
 * Adadelta figures as the engine stored them (table, charts over steps, weight histograms over time),
 * the System tab each device's step time, throughput and memory beside the estimate. Checked at
 * 1280×800 and at 900 px (no sideways scrolling); screenshots go to test-results/e2e/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import type { RunConfig } from '../../src/shared/api';
import { artifactPath, chromiumMissingReason } from './helpers/browser';
import { startDashboard } from './helpers/dashboard-server';

const RUN: RunConfig = {
  name: 'optimizer state',
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'builtin', name: 'iris' },
  mesh: 'batch=2',
  layouts: { 'dense.*kernel': ['batch', 'unsharded'] },
  optimizer: { learning_rate: 1.0, rho: 0.95, epsilon: 1e-6 },
  steps: 40,
  globalBatchSize: 24,
  seed: 2,
  checkpointEvery: 0,
  optimizerStatsEvery: 5,
  // 40 steps of at least 50 ms: two seconds, so each device is sampled more than once.
  minStepMs: 50,
};
const VARIABLES = ['dense.kernel', 'dense.bias', 'dense_1.kernel', 'dense_1.bias'];
const shown = (v: number) =>
  Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3
    ? v.toExponential(3)
    : Number(v.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 8 });

const fitsWidth = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

test('optimizer and system tabs of a real 2-device run', { timeout: 240_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) return t.skip(reason);
  const d = await startDashboard();
  try {
    const { runId } = await d.service.startRun(RUN);
    assert.equal(await d.service.waitForRun(runId), 'completed');
    const stats = await d.service.getOptimizerStats(runId);
    assert.deepEqual(
      stats.map((p) => p.step),
      [5, 10, 15, 20, 25, 30, 35, 40],
    );
    const page = await d.open(`#/run/${runId}/optimizer`, { width: 1280, height: 800 });

    await t.test('the table holds every variable’s figures at the newest step, as stored', async () => {
      await page.getByTestId('opt-table').waitFor();
      const last = stats.at(-1)!;
      assert.equal(await page.locator('[data-testid="opt-table"] caption').textContent(), 'At step 40');
      for (const path of VARIABLES) {
        const v = last.variables.find((x) => x.path === path)!;
        const [p10, , p50, , p90] = v.stepSize;
        assert.equal(
          await page.getByTestId(`opt-step-size-${path}`).textContent(),
          `${shown(p50!)} (${shown(p10!)}–${shown(p90!)})`,
        );
        assert.equal(await page.getByTestId(`opt-update-ratio-${path}`).textContent(), shown(v.updateRatio));
      }
    });

    await t.test('charts over the recorded steps and histograms over time for the chosen variable', async () => {
      for (const id of ['opt-chart-norms', 'opt-chart-step-size', 'opt-chart-update-ratio', 'opt-chart-weights'])
        await page.waitForFunction(
          (c) => document.querySelector(`[data-testid="${c}"]`)?.getAttribute('data-points') === '8',
          id,
        );
      assert.equal(await page.getByTestId('opt-histograms').getAttribute('data-steps'), '5,10,15,20,25,30,35,40');
      assert.equal(await page.locator('[data-testid="opt-histograms"] polygon').count(), 8);
      await page.getByTestId('opt-pick-dense_1.kernel').click();
      assert.equal(await page.getByTestId('opt-selected').textContent(), 'dense_1.kernel');
      assert.equal(await page.getByTestId('opt-row-dense_1.kernel').getAttribute('class'), 'row-selected');
      assert.ok(await fitsWidth(page), 'no sideways scrolling at 1280 px');
      await page.screenshot({ path: artifactPath('e2e', 'optimizer-tab-1280.png'), fullPage: true });
    });

    await t.test('system: every device’s step time, throughput and memory beside the estimate', async () => {
      await page.getByTestId('tab-system').click();
      const history = await d.service.getDeviceHistory(runId);
      const steps = new Set(history.points.map((p) => p.step)).size;
      await page.waitForFunction(
        (n) => document.querySelector('[data-testid="sys-chart-step-time"]')?.getAttribute('data-points') === String(n),
        steps,
      );
      const labels = (id: string) => page.locator(`[data-testid="${id}"] .u-legend .u-label`).allTextContents();
      assert.deepEqual((await labels('sys-chart-step-time')).slice(1), ['device 0', 'device 1']);
      assert.deepEqual((await labels('sys-chart-memory')).slice(1), [
        'device 0 resident',
        'device 1 resident',
        'device 0 peak',
        'device 1 peak',
        'estimate',
      ]);
      assert.ok(history.memoryEstimateBytes! > 0);
      await page.screenshot({ path: artifactPath('e2e', 'system-tab-1280.png'), fullPage: true });
    });

    await t.test('at 900 px every tab fits the window', async () => {
      const narrow = await d.open(`#/run/${runId}/optimizer`, { width: 900, height: 800 });
      await narrow.getByTestId('opt-table').waitFor();
      for (const tab of ['optimizer', 'system', 'config', 'training']) {
        await narrow.getByTestId(`tab-${tab}`).click();
        await narrow.waitForTimeout(150); // charts take their new width on the next frame
        assert.ok(await fitsWidth(narrow), `${tab}: no sideways scrolling at 900 px`);
        await narrow.screenshot({ path: artifactPath('e2e', `${tab}-tab-900.png`), fullPage: true });
      }
      await narrow.close();
    });
    assert.deepEqual(d.errors, [], 'no uncaught errors in the page');
  } finally {
    await d.close();
  }
});
