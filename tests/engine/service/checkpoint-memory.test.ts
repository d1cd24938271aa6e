// Issue 24 item 1: "the memory check must not accept what cannot be checkpointed". The engine gathers
// a whole checkpoint (every parameter and optimizer slot) and writes it in one transaction, holding
// about 2.5 times its bytes at the peak (measured by `npm run bench -- large-checkpoint`). A run whose
// workers fit in free memory but whose checkpoint does not fit beside them is refused by the one
// memory check (engine/config/memory-fit.ts) before its row or any worker exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrainerService } from '../../../src/engine/service/index';
import { parseRun } from '../../../src/engine/config/parse-run';
import { planRunMemory } from '../../../src/engine/config/run-memory';
import { cpuDevices } from '../../../src/engine/coordinator/devices';
import { NO_SETTINGS } from '../../../src/shared/settings';
import { IRIS_RUN, WORKER_ENTRY } from './helpers';

const WIDE = {
  ...IRIS_RUN,
  fullySharded: false,
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

/** Bytes as the messages print them (GiB to one decimal, else whole MiB). */
const shown = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`);

test('a run whose workers fit but whose checkpoint does not fit beside them is refused before it starts', async () => {
  // The checkpoint, counted here from the shapes: every parameter with Adadelta's two slots and the
  // EMA average (IRIS_RUN's use_ema), float32; the engine holds 2.5 times it while writing.
  const params = 4 * 3000 + 3000 + 3000 * 3000 + 3000 + 3000 * 3 + 3;
  const checkpoint = params * 4 * 4;
  const run = await parseRun(WIDE, { settings: NO_SETTINGS });
  assert.ok(!Array.isArray(run), JSON.stringify(run));
  const workers = planRunMemory(run, { devices: cpuDevices(2), free: 2 ** 50 }).estimate.total;
  // Room for the two workers and one copy of the checkpoint, not for the engine's peak on top.
  const free = 2 * workers + 1.2 * checkpoint;
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
    const m = /there is (.+?) of free memory for 2 workers and the engine's checkpoint \((.+?) needed\)/.exec(error.message);
    assert.ok(m, error.message);
    assert.equal(m[1], shown(free));
    assert.equal(m[2], shown(2 * workers + 2.5 * checkpoint));
    assert.deepEqual(await service.listRuns(), [], 'no run row');
    assert.deepEqual(forked, [], 'no worker');
  } finally {
    await service.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});
