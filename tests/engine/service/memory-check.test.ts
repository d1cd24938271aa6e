// Issue 11 item 4: a run too big for memory is refused before its row or any worker exists, with the
// estimate and what would fit; the estimate's parts follow from the shapes, and it is within a sane
// factor of what a small run's workers really hold (resident bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrainerService } from '../../../src/engine/service/index';
import { estimateWorkerMemory, RUNTIME_BYTES } from '../../../src/engine/service/memory-check';
import { storedRunShape } from '../../../src/engine/config/run-shape';
import { NO_SETTINGS } from '../../../src/shared/settings';
import { IRIS_RUN, WORKER_ENTRY, withService } from './helpers';

const BIG = {
  ...IRIS_RUN,
  mesh: 'batch=2',
  layouts: {},
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 30_000, activation: 'relu' },
      { type: 'dense', units: 30_000, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
  },
};

test('a model too big for the free memory is refused in one line before any run row or worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-mem-'));
  const service = await createTrainerService({
    dbPath: join(dir, 'runs.db'),
    processHost: 'node',
    workerEntry: WORKER_ENTRY,
    cpuOnly: true,
    freeMemory: () => 8 * 2 ** 30,
  });
  const forked: string[] = [];
  service.subscribe((e) => e.type === 'devices' && forked.push(e.runId));
  try {
    const error = await service.startRun(BIG).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    assert.ok(error, 'refused');
    assert.equal(error.code, 'invalid-input');
    assert.doesNotMatch(error.message, /\n/);
    // The 30,000 × 30,000 float32 kernel alone is 3.35 GiB; replicated, with three slots (Adadelta's two
    // and IRIS_RUN's EMA average), its gradient and its exchange buffer: six kernels, ~20 GiB.
    assert.match(
      error.message,
      /^the run needs about (\d+\.\d) GiB per worker .* but there is 8\.0 GiB of free memory for 2 workers; it would fit with more devices/,
    );
    const gib = Number(/about (\d+\.\d) GiB/.exec(error.message)![1]);
    const kernel = (30_000 * 30_000 * 4) / 2 ** 30;
    assert.ok(gib > 6 * kernel && gib < 6.2 * kernel, `${gib} GiB: shard + 3 slots + gradient + exchange ≈ 6 kernels`);
    assert.deepEqual(await service.listRuns(), [], 'no run row');
    assert.deepEqual(forked, [], 'no worker');
  } finally {
    await service.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'the estimate follows the shapes, and is within a factor of 3 of a real small run’s resident bytes',
  { timeout: 120_000 },
  async () => {
    // IRIS_RUN: 4 → 8 (tanh) → 3, dense.*kernel sharded over batch=2, dense_1.bias too, EMA on.
    const m = estimateWorkerMemory(storedRunShape(IRIS_RUN, NO_SETTINGS));
    const params = 4 * 8 + 8 + 8 * 3 + 3; // 67 floats
    // Local shards, the larger device's: dense.kernel rows 2 of 4 → 16, dense.bias 8, dense_1.kernel rows 4 of 8 → 12, dense_1.bias 2 of 3.
    const shards = 16 + 8 + 12 + 2;
    assert.equal(m.shards, shards * 4);
    assert.equal(m.slots, shards * 4 * 3, 'two Adadelta accumulators and the EMA average');
    assert.equal(m.gradients, params * 4);
    assert.equal(m.fullParams, (32 + 24 + 3) * 4, 'the sharded variables need their full value for forward');
    assert.equal(m.activations, Math.ceil(24 / 2) * (4 + 8 + 3) * 4 * 3);
    assert.equal(m.runtime, RUNTIME_BYTES);

    await withService(async (service) => {
      const { runId } = await service.startRun({ ...IRIS_RUN, steps: 5 });
      assert.equal(await service.waitForRun(runId), 'completed');
      const rss = (await service.getRun(runId)).devices.map((d) => d.rssBytes);
      assert.equal(rss.length, 2);
      for (const r of rss) assert.ok(m.total > r / 3 && m.total < r * 3, `estimate ${m.total} vs resident ${r}`);
    });
  },
);

test(
  'a resume that would not fit (here: less free memory than at the start) is refused before any worker, the run unchanged',
  { timeout: 120_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtrain-mem-resume-'));
    let free = 8 * 2 ** 30;
    const service = await createTrainerService({
      dbPath: join(dir, 'runs.db'),
      processHost: 'node',
      workerEntry: WORKER_ENTRY,
      cpuOnly: true,
      freeMemory: () => free,
    });
    try {
      const { runId } = await service.startRun({ ...IRIS_RUN, steps: 4 });
      assert.equal(await service.waitForRun(runId), 'completed');
      const before = await service.getRun(runId);
      const forked: string[] = [];
      service.subscribe((e) => e.type === 'devices' && forked.push(e.runId));
      free = 64 * 2 ** 20; // below the per-process runtime alone
      const error = await service.resumeRun(runId, { mesh: 'batch=1', steps: 8 }).then(
        () => null,
        (e: Error & { code?: string }) => e,
      );
      assert.ok(error, 'refused');
      assert.equal(error.code, 'invalid-input');
      assert.match(error.message, /^the run needs about .* per worker/);
      const after = await service.getRun(runId);
      assert.deepEqual(
        [after.status, after.mesh, after.steps, after.step],
        [before.status, before.mesh, before.steps, before.step],
      );
      assert.deepEqual(forked, [], 'no worker');
    } finally {
      await service.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
