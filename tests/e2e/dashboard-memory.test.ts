/**
 * Memory in the dashboard, in real Chromium against the real engine (docs/architecture.md, "The
 * memory model"): the live view's device table shows each worker's peak resident memory beside the
 * memory check's estimate, and how the run held its parameters; the New-run form warns before start,
 * in its problem summary under the mesh, with the reason the CLI gives for refusing the same run.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { RunStore } from '../../src/engine/store/index';
import { createTrainerService } from '../../src/engine/service/index';
import type { RunConfig } from '../../src/shared/api';
import { chromiumMissingReason } from './helpers/browser';
import { BASE_CONFIG, metricPoint, startDashboard } from './helpers/dashboard-server';
import { REPO_ROOT } from './helpers/build-renderer';

const MiB = 2 ** 20;

test('the device table shows each worker’s peak beside the estimate', { timeout: 120_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) return t.skip(reason);
  let runId = '';
  const d = await startDashboard((dbPath) => {
    const store = RunStore.open(dbPath);
    try {
      runId = store.createRun({ ...BASE_CONFIG, name: 'sharded', mesh: 'batch=2', fullySharded: true });
      store.appendMetrics(runId, [metricPoint(1, 1.2), metricPoint(2, 1.1)]);
      store.updateRun(runId, {
        status: 'completed',
        step: 2,
        memory: { fullySharded: true, reshardAfterForward: true, estimateBytes: 1900 * MiB, parts: { shards: 128 * MiB } },
      });
      store.appendDeviceStats(runId, 2, [
        {
          deviceId: 0,
          pid: 11,
          backend: 'wasm',
          shardBytes: 384 * MiB,
          rssBytes: 1700 * MiB,
          stepTimeMs: 9,
          peakRssBytes: 1880 * MiB,
        },
        {
          deviceId: 1,
          pid: 12,
          backend: 'wasm',
          shardBytes: 384 * MiB,
          rssBytes: 1690 * MiB,
          stepTimeMs: 9,
          peakRssBytes: 1877 * MiB,
        },
      ]);
    } finally {
      store.close();
    }
  });
  try {
    const page = await d.open(`#/run/${runId}`);
    await page.getByTestId('device-peak-1').waitFor();
    assert.deepEqual(await page.locator('[data-testid="device-table"] thead th').allTextContents(), [
      'Device',
      'Backend',
      'PID',
      'Shards',
      'RSS',
      'Peak RSS',
      'Estimate',
      'Step time',
    ]);
    assert.equal(await page.getByTestId('device-peak-0').textContent(), '1.8 GiB');
    assert.equal(await page.getByTestId('device-estimate-0').textContent(), '1.9 GiB');
    assert.equal(await page.getByTestId('device-peak-1').textContent(), '1.8 GiB');
    assert.equal(await page.getByTestId('memory-mode').textContent(), 'Parameters fully sharded.');
    await page.screenshot({ path: '/tmp/dash-device-memory.png', fullPage: true });
    assert.deepEqual(d.errors, []);
  } finally {
    await d.close();
  }
});

/** 17,000-wide Dense layers on iris: 1.1 GiB of parameters; one worker's optimizer heap would pass 4 GiB. */
const TOO_BIG = {
  type: 'mlp',
  input: [4],
  layers: [
    { type: 'dense', units: 17000, activation: 'relu' },
    { type: 'dense', units: 17000, activation: 'relu' },
    { type: 'dense', units: 3 },
  ],
  loss: 'softmax_cross_entropy',
  metrics: ['accuracy'],
};

test('the New-run form warns before start with the CLI’s reason', { timeout: 120_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) return t.skip(reason);
  // What a start of the same run says (the CLI prints this message): from a second engine.
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-mem-form-'));
  const engine = await createTrainerService({
    dbPath: join(dir, 'runs.db'),
    processHost: 'node',
    workerEntry: resolve(REPO_ROOT, 'src/workers/device-worker.ts'),
    cpuOnly: true,
  });
  const config: RunConfig = { ...BASE_CONFIG, model: TOO_BIG, steps: 10, globalBatchSize: 32 };
  const refusal = await engine.startRun(config).then(
    () => '',
    (e: Error) => e.message,
  );
  await engine.shutdown();
  rmSync(dir, { recursive: true, force: true });
  assert.match(refusal, /past a wasm heap's 4 GiB/);
  const d = await startDashboard();
  try {
    const page = await d.open('#/new');
    await page.getByTestId('device-0').waitFor();
    await page.getByTestId('field-model').fill(JSON.stringify(TOO_BIG));
    await page.getByTestId('field-globalBatchSize').fill(String(config.globalBatchSize));
    await page.getByTestId('validate-run').click();
    // The summary (an alert) lists it under the mesh: with devices ticked, the mesh field itself is not editable.
    const item = page.locator('[data-testid="issue-summary"] li').filter({ hasText: 'past a wasm heap' });
    await item.waitFor({ timeout: 60_000 });
    const shown = ((await item.textContent()) ?? '').replace(/^mesh /, '');
    // The same reason. Free memory drifts between the two checks, so whether the host-memory limit is
    // passed too (and what would fit) may differ: the heap limit, which does not drift, is compared.
    const stable = (s: string) =>
      s.replace(/; and there is \d+\.\d GiB of free memory.*?needed\)/, '').replace(/; (\d+ devices would fit|no mesh).*$/, '');
    assert.equal(stable(shown), stable(refusal));
    // Start is refused the same way, before any run exists.
    await page.getByTestId('start-run').click();
    await item.waitFor();
    assert.equal(await page.getByTestId('view-new').count(), 1, 'still on the form');
    await page.screenshot({ path: '/tmp/dash-new-run-memory.png', fullPage: true });
    assert.deepEqual(d.errors, []);
  } finally {
    await d.close();
  }
});
