// Held-out evaluation with real workers: val_* figures merge into the training point at each
// evaluation step; the same weights give identical figures on 1, 2 and 3 devices (training itself
// differs across device counts in the last float32 bits), equal to a float64 reference computed here
// from the checkpointed weights over the held-out rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RunStore } from '../../../src/engine/store/index';
import { assembleGlobal } from '../../../src/core/checkpoint/index';
import { loadDatasetSync } from '../../../src/datasets/load';
import { splitIndices } from '../../../src/core/data/split';
import type { RunConfig } from '../../../src/shared/api';
import { eventsOf, withService } from './helpers';
import { startSession } from '../coordinator/helpers';
import { shardsForDevice } from '../../../src/engine/coordinator/checkpoint-shards';
import { recordedCompute } from '../../../src/engine/config/compute';

const CONFIG: RunConfig = {
  name: 'held-out',
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
  mesh: 'batch=1',
  layouts: { 'dense.*kernel': ['batch', 'unsharded'] },
  optimizer: { learning_rate: 1.0, rho: 0.95, epsilon: 1e-6 },
  steps: 16,
  globalBatchSize: 24,
  seed: 4,
  checkpointEvery: 8,
};

/** Mean softmax cross-entropy and accuracy of a relu MLP, in float64, over the given rows. */
function reference(params: Map<string, Float64Array>, x: Float32Array, y: Int32Array, rows: Uint32Array) {
  const [k0, b0, k1, b1] = ['dense.kernel', 'dense.bias', 'dense_1.kernel', 'dense_1.bias'].map((p) => params.get(p)!);
  let loss = 0;
  let correct = 0;
  for (const r of rows) {
    const h = Array.from({ length: 8 }, (_, j) =>
      Math.max(0, b0![j]! + [0, 1, 2, 3].reduce((s, i) => s + x[r * 4 + i]! * k0![i * 8 + j]!, 0)),
    );
    const z = Array.from({ length: 3 }, (_, c) => b1![c]! + h.reduce((s, hj, j) => s + hj * k1![j * 3 + c]!, 0));
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    loss += lse - z[y[r]!]!;
    if (z.indexOf(m) === y[r]) correct += 1;
  }
  return { loss: loss / rows.length, accuracy: correct / rows.length };
}

test(
  "val_* figures merge into the step's point; the same weights evaluate identically on 1, 2 and 3 devices and match a float64 reference",
  { timeout: 300_000 },
  async () => {
    await withService(async (service, dir) => {
      const events = eventsOf(service);
      const { runId } = await service.startRun({ ...CONFIG, mesh: 'batch=2' });
      assert.equal(await service.waitForRun(runId), 'completed');
      const evals = (await service.getMetrics(runId)).filter((p) => 'val_loss' in p.metrics);
      assert.deepEqual(
        evals.map((p) => p.step),
        [8, 16],
        'evaluated at every checkpoint and at the end',
      );
      for (const p of evals) {
        assert.ok(Number.isFinite(p.loss), 'the training point keeps its own loss');
        assert.deepEqual(Object.keys(p.metrics).sort(), ['accuracy', 'val_accuracy', 'val_loss']);
      }
      const streamed = events
        .flatMap((e) => (e.type === 'metrics' && e.runId === runId ? e.points : []))
        .filter((p) => 'val_loss' in p.metrics);
      assert.deepEqual(
        streamed.map((p) => [p.step, p.metrics.val_loss]),
        evals.map((p) => [p.step, p.metrics.val_loss]),
        'the merged points are streamed',
      );

      const store = RunStore.open(join(dir, 'runs.db'), { readonly: true });
      const { checkpoint } = store.latestValidCheckpoint(runId);
      store.close();
      assert.equal(checkpoint!.step, 16);

      // The final weights, evaluated by meshes of 1, 2 and 3 real workers (each worker its slice, sums all-reduced).
      const figures: { loss: number; metrics: Record<string, number> }[] = [];
      const compute = recordedCompute((await service.getRun(runId)).config)!; // the path the run trained on
      for (const devices of [1, 2, 3]) {
        const session = await startSession(`batch=${devices}`, {
          model: CONFIG.model,
          data: CONFIG.data as never,
          layouts: CONFIG.layouts!,
          optimizer: CONFIG.optimizer,
          globalBatchSize: CONFIG.globalBatchSize,
          seed: CONFIG.seed,
          compute,
        });
        try {
          const layouts = await session.variableLayouts();
          await session.importShards(
            (d) => shardsForDevice(checkpoint!.tensors, layouts, session.mesh, d),
            checkpoint!.iterations,
          );
          figures.push(await session.evaluate());
        } finally {
          await session.close();
        }
      }
      for (const [i, f] of figures.entries()) {
        assert.equal(f.loss, evals[1]!.metrics.val_loss, `${i + 1} devices: val_loss`);
        assert.equal(f.metrics.accuracy, evals[1]!.metrics.val_accuracy, `${i + 1} devices: val_accuracy`);
      }

      // Independent reference: the held-out rows (seeded stratified split of iris) through the checkpoint's weights in float64.
      const params = new Map(
        checkpoint!.tensors
          .filter((t) => t.path.startsWith('params/'))
          .map((t) => [t.path.slice(7), Float64Array.from(assembleGlobal(t))]),
      );
      const iris = loadDatasetSync({ kind: 'builtin', name: 'iris' });
      const { validation } = splitIndices(iris, { validationFraction: 0.2, seed: CONFIG.seed });
      assert.equal(validation.length, 30);
      const ref = reference(params, iris.x, iris.y as Int32Array, validation);
      const got = evals[1]!.metrics;
      assert.ok(
        Math.abs(got.val_loss! - ref.loss) <= 1e-5 * Math.max(1, ref.loss),
        `val_loss ${got.val_loss} vs float64 ${ref.loss}`,
      );
      assert.equal(got.val_accuracy, ref.accuracy);
    });
  },
);

test('a held-out fraction that is out of range is a config issue naming data', async () => {
  await withService(async (service) => {
    const issues = await service.validateRunConfig({
      ...CONFIG,
      data: { kind: 'builtin', name: 'iris', validation: { fraction: 1.5 } },
    });
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.path, 'data');
    assert.match(issues[0]!.message, /validationFraction must be in \[0, 1\) \(got 1.5\)/);
    const monitor = await service.validateRunConfig({
      ...CONFIG,
      data: { kind: 'builtin', name: 'iris' },
      earlyStopping: { monitor: 'val_loss' },
    });
    assert.deepEqual(
      monitor.map((i) => i.path),
      ['earlyStopping.monitor'],
    );
    assert.match(monitor[0]!.message, /val_\* figures need data.validation/);
  });
});
