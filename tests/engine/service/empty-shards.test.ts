// Issue 11 item 2: a kernel with 4 rows split over 6 devices leaves two devices with the same empty
// shard; checkpoints must still save, and resume on 6 and on 2 devices, matching the 1-device run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IRIS_RUN, finalState, withService } from './helpers';
import { createTrainerService } from '../../../src/engine/service/index';
import { join } from 'node:path';

// dense.kernel is [4, 8]: on batch=6, devices 4 and 5 hold rows [4:4] (empty).
const SIX = { ...IRIS_RUN, mesh: 'batch=6', layouts: { 'dense.*kernel': ['batch', 'unsharded'] }, checkpointEvery: 3 };

function assertClose(a: Map<string, number[]>, b: Map<string, number[]>): void {
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [path, values] of a) {
    const got = b.get(path)!;
    // A sharded sum adds in another order than one device: equal up to float32 rounding.
    values.forEach((v, i) =>
      assert.ok(Math.abs(got[i]! - v) <= 1e-4 * Math.max(1, Math.abs(v)), `${path}[${i}]: ${got[i]} vs ${v}`),
    );
  }
}

test(
  '6 devices with empty shards checkpoint, resume on 6 and on 2, and equal the 1-device run',
  { timeout: 300_000 },
  async () => {
    await withService(async (service, dir) => {
      const { runId: reference } = await service.startRun({ ...SIX, mesh: 'batch=1', steps: 12 });
      assert.equal(await service.waitForRun(reference), 'completed');

      const { runId } = await service.startRun({ ...SIX, steps: 6 });
      assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
      assert.deepEqual(
        (await service.getRun(runId)).checkpoints.map((c) => c.step),
        [3, 6],
      );

      await service.resumeRun(runId, { steps: 9 });
      assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
      await service.resumeRun(runId, { mesh: 'batch=2', steps: 12 });
      assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
      const run = await service.getRun(runId);
      assert.equal(run.mesh, 'batch=2');
      assert.equal(finalState(dir, runId).step, 12);
      assertClose(finalState(dir, reference).values, finalState(dir, runId).values);
    });
  },
);

test(
  'a resume on a new mesh that fails before its first checkpoint leaves the run config as it was',
  { timeout: 180_000 },
  async () => {
    await withService(async (service, dir) => {
      const { runId } = await service.startRun({ ...IRIS_RUN, steps: 4 });
      assert.equal(await service.waitForRun(runId), 'completed');
      // A second engine on the same database whose workers cannot start: the resume fails at launch.
      const broken = await createTrainerService({
        dbPath: join(dir, 'runs.db'),
        processHost: 'node',
        workerEntry: join(dir, 'no-such-worker.ts'),
      });
      try {
        await broken.resumeRun(runId, { mesh: 'batch=3', steps: 8 });
        assert.equal(await broken.waitForRun(runId), 'failed');
      } finally {
        await broken.shutdown();
      }
      const after = await service.getRun(runId);
      assert.equal(after.mesh, 'batch=2', 'the failed resume did not save its mesh');
      assert.equal(after.steps, 4);
      assert.equal(after.config.mesh, 'batch=2');
      await service.resumeRun(runId, { steps: 6 });
      assert.equal(await service.waitForRun(runId), 'completed', 'a plain resume still works');
    });
  },
);
