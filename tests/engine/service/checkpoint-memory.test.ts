// Issue 24 item 1: "the memory check must not accept what cannot be checkpointed". The engine holds a
// whole checkpoint (every parameter and optimizer slot) while it writes it in one transaction; a run
// whose workers fit in free memory but whose checkpoint does not beside them is refused before its row
// or any worker exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrainerService } from '../../../src/engine/service/index';
import { estimateWorkerMemory, memoryProblem } from '../../../src/engine/service/memory-check';
import { CHECKPOINT_HOLD_FACTOR } from '../../../src/engine/service/checkpoint-memory';
import { parseRun } from '../../../src/engine/config/parse-run';
import { cpuDevices } from '../../../src/engine/coordinator/devices';
import { NO_SETTINGS } from '../../../src/shared/settings';
import { IRIS_RUN, WORKER_ENTRY } from './helpers';

const WIDE = {
  ...IRIS_RUN,
  layouts: { 'dense.*kernel': ['batch', 'unsharded'] },
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 3000, activation: 'relu' },
      { type: 'dense', units: 3000, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
  },
};

test('a run whose workers fit but whose checkpoint does not fit beside them is refused before it starts', async () => {
  // The checkpoint, counted here from the shapes: every parameter with Adadelta's two slots and the
  // EMA average (IRIS_RUN's use_ema), float32.
  const params = 4 * 3000 + 3000 + 3000 * 3000 + 3000 + 3000 * 3 + 3;
  const checkpoint = params * 4 * 4;
  const run = await parseRun(WIDE, { settings: NO_SETTINGS });
  assert.ok(!Array.isArray(run), JSON.stringify(run));
  const workers = estimateWorkerMemory(run);
  // Room for the two workers and a little more, not for the checkpoint on top.
  const free = 2 * workers.total + checkpoint;
  assert.equal(memoryProblem(workers, run.config, cpuDevices(2), free), null, 'the workers alone fit');
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-ckmem-'));
  const service = await createTrainerService({
    dbPath: join(dir, 'runs.db'),
    processHost: 'node',
    workerEntry: WORKER_ENTRY,
    cpuOnly: true,
    freeMemory: () => free,
  });
  const forked: string[] = [];
  service.subscribe((e) => e.type === 'devices' && forked.push(e.runId));
  try {
    const error = await service.startRun(WIDE).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    assert.ok(error, 'refused');
    assert.equal(error.code, 'invalid-input');
    assert.doesNotMatch(error.message, /\n/);
    const m =
      /^the run's checkpoints need about (\d+) MiB in this process \(every parameter and optimizer slot, gathered from the workers and written in one transaction\) beside the workers' (\d+) MiB/.exec(
        error.message,
      );
    assert.ok(m, error.message);
    assert.equal(Number(m[1]), Math.round((CHECKPOINT_HOLD_FACTOR * (checkpoint + 8)) / 2 ** 20));
    assert.equal(Number(m[2]), Math.round((2 * workers.total) / 2 ** 20));
    assert.deepEqual(await service.listRuns(), [], 'no run row');
    assert.deepEqual(forked, [], 'no worker');
  } finally {
    await service.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
