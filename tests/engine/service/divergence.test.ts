// Issue 11 item 3: a diverging run stops at the first non-finite loss or gradient norm (Keras's
// TerminateOnNaN), fails naming the step and the cause, and keeps only finite checkpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { RunStore } from '../../../src/engine/store/index';
import { assembleGlobal } from '../../../src/core/checkpoint/index';
import { IRIS_RUN, withService } from './helpers';

test(
  'a learning rate of 1e30 fails the run at the first NaN step and keeps the last finite checkpoint',
  { timeout: 180_000 },
  async () => {
    await withService(async (service, dir) => {
      // relu (unlike IRIS_RUN's saturating tanh) lets the huge first update reach the logits.
      const model = {
        ...IRIS_RUN.model,
        layers: [
          { type: 'dense', units: 8, activation: 'relu' },
          { type: 'dense', units: 3 },
        ],
      };
      const config = {
        ...IRIS_RUN,
        model,
        optimizer: { learning_rate: 1e30, rho: 0.95, epsilon: 1e-6 },
        steps: 30,
        checkpointEvery: 1,
        keepCheckpoints: 50,
      };
      const { runId } = await service.startRun(config);
      assert.equal(await service.waitForRun(runId), 'failed');
      const run = await service.getRun(runId);
      const metrics = await service.getMetrics(runId);
      const firstBad = metrics.find((p) => !Number.isFinite(p.loss) || !Number.isFinite(p.gradNorm));
      assert.ok(firstBad, 'the run did diverge (a non-finite loss or gradient norm was recorded)');
      assert.ok(firstBad.step < 30, `diverged at ${firstBad.step}, before the last step`);
      assert.match(
        run.error ?? '',
        new RegExp(`^training diverged at step ${firstBad.step}: the (loss|gradient norm) is (NaN|-?Infinity);`),
      );
      assert.equal(run.step, firstBad.step, 'the run stopped at the first non-finite step');
      assert.equal(metrics.at(-1)!.step, firstBad.step, 'no step ran after it');

      const store = RunStore.open(join(dir, 'runs.db'), { readonly: true });
      try {
        const kept = store.listCheckpoints(runId);
        assert.ok(kept.length > 0 && kept.every((c) => c.step < firstBad.step), `checkpoints at ${kept.map((c) => c.step)}`);
        assert.match(run.error!, new RegExp(`the last finite checkpoint \\(step ${kept.at(-1)!.step}\\) is kept$`));
        for (const info of kept) {
          for (const t of store.loadCheckpoint(info.id).tensors) {
            assert.ok(assembleGlobal(t).every(Number.isFinite), `checkpoint at step ${info.step}: ${t.path} is finite`);
          }
        }
      } finally {
        store.close();
      }
    });
  },
);

test('a negative epsilon or a rho above 1 is refused before any worker starts', async () => {
  await withService(async (service) => {
    const epsilon = await service.validateRunConfig({ ...IRIS_RUN, optimizer: { learning_rate: 1, epsilon: -1 } });
    assert.deepEqual(epsilon, [{ path: 'optimizer', message: '`epsilon` must be >= 0. Received: epsilon=-1' }]);
    const rho = await service.validateRunConfig({ ...IRIS_RUN, optimizer: { learning_rate: 1, rho: 1.5 } });
    assert.deepEqual(rho, [{ path: 'optimizer', message: '`rho` must be in the range [0, 1]. Received: rho=1.5' }]);
    await assert.rejects(service.startRun({ ...IRIS_RUN, optimizer: { rho: 2 } }), /`rho` must be in the range \[0, 1\]/);
    assert.deepEqual(await service.listRuns(), [], 'no run was created');
  });
});
