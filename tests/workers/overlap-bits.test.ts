// Overlap changes no number: real worker processes train the same run with the communication thread
// (reduce-scatter buckets started from backward's hooks, the all-gather waited for layer by layer in
// the next forward) and with the run's commThread off (the ring on the main thread, every exchange
// awaited in turn); every exported shard of parameters and optimizer slots, and every reported loss,
// must be the same bits, on 2 and 3 devices, and with tensor storage. The model is large enough for
// two buckets each way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TWO_BUCKET_MLP as SETUP, bits, trainRun } from '../helpers/train-run';

const STEPS = 4;

const run = (mesh: string, commThread: boolean, variableStorage: 'host' | 'tensor' = 'host') =>
  trainRun(mesh, { ...SETUP, compute: { ...SETUP.compute, variableStorage, commThread: commThread ? 'on' : 'off' } }, STEPS);

for (const mesh of ['batch=2', 'batch=3']) {
  test(`${mesh}: the communication thread's overlapped steps give the in-thread ring's bits`, { timeout: 120_000 }, async () => {
    const plain = await run(mesh, false);
    const overlapped = await run(mesh, true);
    assert.equal(plain.losses.length, STEPS);
    assert.deepEqual(overlapped.losses, plain.losses);
    assert.ok(plain.losses[STEPS - 1]! < plain.losses[0]!, `it trains: ${plain.losses}`);
    assert.deepEqual(
      overlapped.shards.map((s) => s.path),
      plain.shards.map((s) => s.path),
    );
    plain.shards.forEach((s, i) =>
      assert.equal(bits(overlapped.shards[i]!.data), bits(s.data), `${s.path} from ${JSON.stringify(s.slices)}`),
    );
  });
}

// Tensor storage (the GPU step's data path, forced here on wasm) keeps the full values in tf.Variables
// that the gather's end uploads into: forward must not read them before that, thread or not.
test(
  "batch=2, tensor storage through the communication thread gives host storage's bits without it",
  { timeout: 120_000 },
  async () => {
    const plain = await run('batch=2', false, 'host');
    const overlapped = await run('batch=2', true, 'tensor');
    assert.deepEqual(overlapped.losses, plain.losses);
    plain.shards.forEach((s, i) =>
      assert.equal(bits(overlapped.shards[i]!.data), bits(s.data), `${s.path} from ${JSON.stringify(s.slices)}`),
    );
  },
);
