// Overlap changes no number: real worker processes train the same run with the communication thread
// (reduce-scatter buckets started from backward's hooks, the all-gather waited for layer by layer in
// the next forward) and with DTRAIN_COMM_THREAD=0 (the ring on the main thread, every exchange
// awaited in turn); every exported shard of parameters and optimizer slots, and every reported loss,
// must be the same bits, on 2 and 3 devices, and with tensor storage. The model is large enough for
// two buckets each way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSession } from '../engine/coordinator/helpers';
import type { ShardRecord, TrainSetup } from '../../src/shared/worker-protocol';

const SETUP: Omit<TrainSetup, 'socketDir'> = {
  // 64·1024 + 1024·256 floats (1.3 MB): reduce buckets [dense_2, dense_1] [dense], gather buckets [dense, dense_1.kernel] [the rest]
  model: { type: 'mlp', input: [64], layers: [{ type: 'dense', units: 1024, activation: 'relu' }, { type: 'dense', units: 256, activation: 'relu' }, { type: 'dense', units: 10 }], loss: 'softmax_cross_entropy', metrics: ['accuracy'] },
  data: { kind: 'synthetic', name: 'blobs', options: { numClasses: 10, numFeatures: 64, samplesPerClass: 20, seed: 5 } },
  layouts: { 'dense.*kernel': ['batch', 'unsharded'], 'dense.*bias': ['batch'] },
  optimizer: { learning_rate: 1.0, rho: 0.9, epsilon: 1e-6 },
  globalBatchSize: 48,
  seed: 11,
};
const STEPS = 4;

async function run(mesh: string, commThread: boolean, variableStorage: 'host' | 'tensor' = 'host'): Promise<{ losses: number[]; shards: ShardRecord[] }> {
  const saved = process.env.DTRAIN_COMM_THREAD;
  process.env.DTRAIN_COMM_THREAD = commThread ? '1' : '0'; // read by the forked workers
  try {
    const session = await startSession(mesh, { ...SETUP, variableStorage });
    try {
      const losses: number[] = [];
      session.onEvent((e) => e.type === 'step' && e.deviceId === 0 && losses.push(e.report.loss));
      await session.train(0, STEPS);
      return { losses, shards: (await session.exportShards()).sort((a, b) => `${a.path}${a.slices[0]?.start}`.localeCompare(`${b.path}${b.slices[0]?.start}`)) };
    } finally {
      await session.close();
    }
  } finally {
    if (saved === undefined) delete process.env.DTRAIN_COMM_THREAD;
    else process.env.DTRAIN_COMM_THREAD = saved;
  }
}

const bits = (d: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');

for (const mesh of ['batch=2', 'batch=3']) {
  test(`${mesh}: the communication thread's overlapped steps give the in-thread ring's bits`, { timeout: 120_000 }, async () => {
    const plain = await run(mesh, false);
    const overlapped = await run(mesh, true);
    assert.equal(plain.losses.length, STEPS);
    assert.deepEqual(overlapped.losses, plain.losses);
    assert.ok(plain.losses[STEPS - 1]! < plain.losses[0]!, `it trains: ${plain.losses}`);
    assert.deepEqual(overlapped.shards.map((s) => s.path), plain.shards.map((s) => s.path));
    plain.shards.forEach((s, i) => assert.equal(bits(overlapped.shards[i]!.data), bits(s.data), `${s.path} from ${JSON.stringify(s.slices)}`));
  });
}

// Tensor storage (the GPU step's data path, forced here on wasm) keeps the full values in tf.Variables
// that the gather's end uploads into: forward must not read them before that, thread or not.
test('batch=2, tensor storage through the communication thread gives host storage\'s bits without it', { timeout: 120_000 }, async () => {
  const plain = await run('batch=2', false, 'host');
  const overlapped = await run('batch=2', true, 'tensor');
  assert.deepEqual(overlapped.losses, plain.losses);
  plain.shards.forEach((s, i) => assert.equal(bits(overlapped.shards[i]!.data), bits(s.data), `${s.path} from ${JSON.stringify(s.slices)}`));
});
