// The worker's step profile with real worker processes: bytes copied per step, by kind, for a small
// known model, derived by hand from the shapes (4 bytes a float32, int32 labels), on 1 and 2 devices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IRIS_MLP, startSession } from '../engine/coordinator/helpers';
import type { StepProfile } from '../../src/shared/api';

// iris MLP 4 → 3 (relu) → 3: kernel [4,3] (12), bias [3], kernel_1 [3,3] (9), bias_1 [3]: 27 floats.
const SETUP = {
  ...IRIS_MLP,
  model: {
    ...IRIS_MLP.model,
    layers: [
      { type: 'dense', units: 3, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
  },
};
const P = 27;
const BATCH = 30; // iris: 4 features, int32 class labels
const SHARDED = { 'dense.*kernel': ['batch', 'unsharded'], 'dense.*bias': ['batch'] };
const STEPS = 3;

/** `commThread`: the run's choice for the workers ('off': the ring on the worker's own thread). */
async function profiles(
  mesh: string,
  layouts: Record<string, string[]>,
  commThread: 'on' | 'off' = 'off',
): Promise<StepProfile[]> {
  const session = await startSession(mesh, { ...SETUP, layouts, compute: { ...SETUP.compute, commThread } });
  try {
    await session.train(0, STEPS);
    return (await session.stats()).sort((a, b) => a.deviceId - b.deviceId).map((s) => s.profile!);
  } finally {
    await session.close();
  }
}

const perStep = (p: StepProfile) => Object.fromEntries(Object.entries(p.copiedBytes).map(([k, v]) => [k, v / p.steps]));

test(
  'one device: the step uploads parameters and batch and copies each gradient once, into the optimizer heap',
  { timeout: 60_000 },
  async () => {
    const [p] = await profiles('batch=1', SHARDED);
    assert.equal(p!.steps, STEPS);
    assert.deepEqual(perStep(p!), {
      download: 4 * P, // every gradient copied once, out of the backend
      upload: 4 * P + BATCH * 4 * 4 + BATCH * 4, // parameters, x, y
      pack: 0, // one device: its gradient is the sum, nothing is exchanged
      shard: 0,
      kernel: 0, // the gradients landed in the optimizer's heap: nothing to stage
    });
    for (const ms of Object.values(p!.phaseMs)) assert.ok(ms >= 0);
  },
);

test(
  'two devices, row-sharded kernels and biases: gradients go from the backend straight into the packed buffer',
  { timeout: 60_000 },
  async () => {
    // Rows split larger-first: kernel [4,3] → 2+2 rows (6, 6), bias [3] → 2, 1, kernel_1 [3,3] → 2+1 rows
    // (6, 3), bias_1 [3] → 2, 1. Device 0 owns 16 floats, device 1 owns 11.
    const owned = [16, 11];
    const ps = await profiles('batch=2', SHARDED);
    ps.forEach((p, d) => {
      assert.deepEqual(
        perStep(p),
        {
          download: 4 * P,
          upload: 4 * P + (BATCH / 2) * 4 * 4 + (BATCH / 2) * 4,
          pack: 4 * (owned[d]! + P), // the all-gather: own shards packed, every shard unpacked (gradients: packed by the download)
          shard: 0, // shards packed straight from the optimizer's storage
          kernel: 0, // the reduce-scatter lands in the optimizer's heap
        },
        `device ${d}`,
      );
    });
  },
);

test(
  'two devices through the communication thread: one more copy, the reduce-scatter result staged into the optimizer heap',
  { timeout: 60_000 },
  async () => {
    // The packed gradients, the gathered shards and the scalars are on SharedArrayBuffers (the thread
    // uses them in place); only the reduce-scatter's result, written into the optimizer's wasm heap,
    // is staged: copied back once, this device's owned floats.
    const owned = [16, 11];
    const ps = await profiles('batch=2', SHARDED, 'on');
    ps.forEach((p, d) => {
      assert.deepEqual(
        perStep(p),
        {
          download: 4 * P,
          upload: 4 * P + (BATCH / 2) * 4 * 4 + (BATCH / 2) * 4,
          pack: 4 * (owned[d]! + P) + 4 * owned[d]!,
          shard: 0,
          kernel: 0,
        },
        `device ${d}`,
      );
    });
  },
);
