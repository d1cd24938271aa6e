// Early stopping with real workers: a run stops at the evaluation an independent re-statement of
// Keras 3's EarlyStopping rule predicts from the val_loss sequence of the same run trained without it;
// the best evaluation's checkpoint is marked, survives retention, and (restoreBest) is the final state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RunStore } from '../../../src/engine/store/index';
import { assembleGlobal } from '../../../src/core/checkpoint/index';
import type { RunConfig } from '../../../src/shared/api';
import { withService } from './helpers';

const BASE: RunConfig = {
  name: 'early',
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
  steps: 80,
  globalBatchSize: 24,
  seed: 6,
  evalEvery: 4,
  checkpointEvery: 0,
  keepCheckpoints: 1,
};
const PATIENCE = 2;
const MIN_DELTA = 0.03;

/**
 * Keras's rule, written out again: wait counts evaluations since the last improvement, an
 * improvement is value + |minDelta| < best (mode min), and training stops once wait ≥ patience
 * at any evaluation but the first. Returns the indices of the stopping and the best evaluation.
 */
function kerasStop(values: number[], patience: number, minDelta: number): { stop: number | null; best: number } {
  let best = Infinity;
  let bestAt = 0;
  let wait = 0;
  for (let epoch = 0; epoch < values.length; epoch++) {
    wait += 1;
    if (values[epoch]! + Math.abs(minDelta) < best || epoch === 0) {
      best = values[epoch]!;
      bestAt = epoch;
      wait = 0;
      continue;
    }
    if (wait >= patience && epoch > 0) return { stop: epoch, best: bestAt };
  }
  return { stop: null, best: bestAt };
}

test('a run early-stops where Keras would, keeps and restores its best checkpoint', { timeout: 300_000 }, async () => {
  await withService(async (service, dir) => {
    const { runId: free } = await service.startRun(BASE);
    assert.equal(await service.waitForRun(free), 'completed');
    const evals = (await service.getMetrics(free)).filter((p) => 'val_loss' in p.metrics);
    assert.deepEqual(
      evals.map((p) => p.step),
      Array.from({ length: 20 }, (_, i) => 4 * (i + 1)),
    );
    const values = evals.map((p) => p.metrics.val_loss!);
    console.log(`val_loss at steps 4, 8, …: ${values.map((v) => v.toFixed(4)).join(' ')}`);
    const predicted = kerasStop(values, PATIENCE, MIN_DELTA);
    assert.notEqual(predicted.stop, null, 'the recorded sequence must trigger a stop for this test to mean anything');
    const stopStep = evals[predicted.stop!]!.step;
    const bestStep = evals[predicted.best]!.step;

    const { runId } = await service.startRun({
      ...BASE,
      earlyStopping: { monitor: 'val_loss', mode: 'min', patience: PATIENCE, minDelta: -MIN_DELTA, restoreBest: true },
    });
    assert.equal(await service.waitForRun(runId), 'completed');
    const run = await service.getRun(runId);
    assert.equal(run.step, stopStep);
    assert.equal(
      run.stopReason,
      `early-stopped at step ${stopStep}; best step ${bestStep} val_loss ${values[predicted.best]!.toPrecision(6)}`,
    );
    const points = await service.getMetrics(runId);
    assert.equal(points.at(-1)!.step, stopStep, 'no step after the stop');
    assert.deepEqual(
      points.filter((p) => 'val_loss' in p.metrics).map((p) => p.metrics.val_loss),
      values.slice(0, predicted.stop! + 1),
    );

    const best = run.checkpoints.filter((c) => c.best);
    assert.deepEqual(
      best.map((c) => c.step),
      [bestStep],
      'one best checkpoint, kept although keepCheckpoints is 1',
    );
    const store = RunStore.open(join(dir, 'runs.db'), { readonly: true });
    try {
      const params = (cp: ReturnType<RunStore['loadCheckpoint']>) =>
        cp.tensors.filter((t) => t.path.startsWith('params/')).map((t) => Array.from(assembleGlobal(t)));
      const final = store.latestValidCheckpoint(runId).checkpoint!;
      assert.equal(final.step, stopStep);
      assert.deepEqual(
        params(final),
        params(store.defaultCheckpoint(runId).checkpoint!),
        "restoreBest: the final state is the best checkpoint's",
      );
      assert.equal(store.defaultCheckpoint(runId).checkpoint!.step, bestStep);
    } finally {
      store.close();
    }
    const evaluated = await service.evaluateRun(runId);
    assert.equal(evaluated.step, bestStep);
    assert.equal(evaluated.best, true);
    assert.ok(
      Math.abs(evaluated.loss - values[predicted.best]!) <= 1e-6,
      `evaluate on the best checkpoint: ${evaluated.loss} vs ${values[predicted.best]}`,
    );
  });
});

test(
  'a run paused after its first evaluations and resumed early-stops at the same step as an uninterrupted one',
  { timeout: 300_000 },
  async () => {
    await withService(async (service) => {
      const config = { ...BASE, earlyStopping: { monitor: 'val_loss', patience: PATIENCE, minDelta: MIN_DELTA } };
      const { runId: straight } = await service.startRun(config);
      assert.equal(await service.waitForRun(straight), 'completed');
      const expected = await service.getRun(straight);

      const { runId } = await service.startRun(config);
      const off = service.subscribe((e) => {
        if (e.type === 'checkpoint' && e.runId === runId && e.checkpoint.step >= 8)
          void service.pauseRun(runId).catch(() => undefined);
      });
      const first = await service.waitForRun(runId);
      off();
      assert.equal(first, 'paused', 'the pause landed before the stop');
      assert.ok((await service.getRun(runId)).step < expected.step);
      await service.resumeRun(runId);
      assert.equal(await service.waitForRun(runId), 'completed');
      const resumed = await service.getRun(runId);
      assert.equal(resumed.step, expected.step);
      assert.equal(resumed.stopReason, expected.stopReason);
    });
  },
);
