/**
 * A run's page tells its whole story (issue 23, items 4, 5 and 6): a real early-stopped run (two
 * worker processes) shows a full progress bar, why it stopped and which checkpoint is the best; each
 * checkpoint evaluates and exports from the page; the config (copied to the clipboard, opened as a
 * new run), tags and notes have their tab; a run id the database does not know is a not-found page.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunConfig } from '../../src/shared/api';
import { artifactPath, chromiumMissingReason } from './helpers/browser';
import { startDashboard } from './helpers/dashboard-server';

const RUN: RunConfig = {
  name: 'stops early',
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 8, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'builtin', name: 'iris', validation: { fraction: 0.2 } },
  mesh: 'batch=2',
  optimizer: { learning_rate: 1.0, rho: 0.95, epsilon: 1e-6 },
  steps: 100,
  globalBatchSize: 24,
  seed: 4,
  evalEvery: 2,
  // No later evaluation beats the first by 10: the run stops at its second evaluation (step 4).
  earlyStopping: { patience: 1, minDelta: 10 },
  checkpointEvery: 0,
  keepCheckpoints: 3,
};

/** The dashboard's number format (4 significant digits), restated. */
const shown = (v: number) => Number(v.toPrecision(4)).toLocaleString('en-US', { maximumFractionDigits: 8 });

test('run page: an early-stopped run, its checkpoints, its config; a missing run', { timeout: 240_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) return t.skip(reason);
  const d = await startDashboard();
  try {
    const { runId } = await d.service.startRun(RUN);
    assert.equal(await d.service.waitForRun(runId), 'completed');
    await d.service.setRunTags(runId, ['baseline', 'early']);
    await d.service.setRunNotes(runId, 'stopped by patience 1');
    const detail = await d.service.getRun(runId);
    assert.ok(detail.stopReason?.startsWith('early-stopped at step 4'), detail.stopReason ?? 'no reason');
    const page = await d.open(`#/run/${runId}`, { width: 1280, height: 800 });
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByTestId('checkpoint-table').waitFor();

    await t.test('an early-stopped run reads as finished: full progress, the reason, the best checkpoint', async () => {
      const progress = page.getByTestId('run-progress');
      await page.locator('[data-testid="run-progress"][data-complete="true"]').waitFor();
      assert.deepEqual(await progress.evaluate((p: HTMLProgressElement) => [p.value, p.max]), [100, 100]);
      assert.equal(await page.getByTestId('stop-reason').textContent(), `Ended early: ${detail.stopReason}`);
      const best = detail.checkpoints.find((c) => c.best)!;
      assert.equal(best.step, 2, 'the first evaluation is the best');
      assert.equal(await page.getByTestId(`checkpoint-best-${best.step}`).textContent(), 'best');
      await page.screenshot({ path: artifactPath('e2e', 'run-early-stopped.png'), fullPage: true });
    });

    await t.test('a checkpoint evaluates and exports from the page', async () => {
      const expected = await d.service.evaluateCheckpoint(runId, 2);
      await page.getByTestId('checkpoint-evaluate-2').click();
      const result = page.getByTestId('checkpoint-evaluation').filter({ hasText: /^Step 2 on/ });
      await result.waitFor();
      assert.equal(
        await result.textContent(),
        `Step 2 on the validation data (${expected.count} examples): loss ${shown(expected.loss)} · accuracy ${shown(expected.metrics.accuracy!)}`,
      );
      await page.getByTestId('checkpoint-export-2').click();
      const path = page.getByTestId('toast-path');
      await path.waitFor();
      const dir = (await path.textContent())!;
      assert.ok(existsSync(join(dir, 'model.keras')) && existsSync(join(dir, 'run.json')), `exported into ${dir}`);
      const toast = (await page.getByTestId('toast-info').last().boundingBox())!;
      assert.ok(toast.height < 140 && toast.width <= 440, `the export toast stays small (${toast.width}×${toast.height})`);
    });

    await t.test('the config tab: the stored config, copied whole; tags and notes; open as a new run', async () => {
      await page.getByTestId('tab-config').click();
      assert.ok(page.url().endsWith(`#/run/${runId}/config`), 'the address names the tab');
      assert.deepEqual(JSON.parse((await page.getByTestId('run-config').textContent())!), detail.config);
      await page.getByTestId('copy-config').click();
      await page.getByTestId('toast-info').filter({ hasText: 'Config copied.' }).waitFor();
      assert.deepEqual(JSON.parse(await page.evaluate(() => navigator.clipboard.readText())), detail.config);
      assert.equal(await page.getByTestId('run-page-tags').textContent(), 'baselineearly');
      assert.equal(await page.getByTestId('run-page-notes').textContent(), 'stopped by patience 1');
      await page.screenshot({ path: artifactPath('e2e', 'run-config-tab.png'), fullPage: true });
      await page.getByTestId('open-as-new-run').click();
      await page.getByTestId('form-status').filter({ hasText: 'Settings copied from run stops early.' }).waitFor();
      const deep = await d.open(`#/run/${runId}/config`);
      await deep.getByTestId('run-config').waitFor();
      assert.equal(await deep.getByTestId('panel-training').isHidden(), true, 'a link opens its tab');
      await deep.close();
    });

    await t.test('a run id the database does not know: a not-found page without controls', async () => {
      const missing = await d.open('#/run/NOPE1234', { width: 1280, height: 800 });
      await missing.getByTestId('run-not-found').waitFor();
      assert.match((await missing.getByTestId('run-not-found').textContent()) ?? '', /No such run.*NOPE1234/);
      assert.equal(await missing.getByTestId('stop-run').count(), 0, 'no Stop button');
      assert.equal(await missing.getByTestId('tab-training').count(), 0, 'no tabs');
      await missing.close();
    });
    assert.deepEqual(d.errors, [], 'no uncaught errors in the page');
  } finally {
    await d.close();
  }
});
