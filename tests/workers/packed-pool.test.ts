// The pooled reduce-scatter buffers of a fully sharded step (src/workers/packed-pool.ts): a bucket
// takes a free buffer, or waits for the oldest reduce-scatter holding one; a buffer is never handed to
// a second bucket while the first one's reduce-scatter may still read it; drain() returns them all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PackedPool, type PooledBucket } from '../../src/workers/packed-pool';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('two buffers for four buckets: the third waits for the first reduce-scatter, not the second', async () => {
  const pool = new PackedPool(2, 10);
  assert.equal(pool.bytes, 2 * 10 * 4);
  const buckets: PooledBucket[] = Array.from({ length: 4 }, () => ({ packed: null, op: null }));
  const ops = buckets.map(() => deferred());
  for (const i of [0, 1]) {
    await pool.take(buckets[i]!);
    buckets[i]!.op = ops[i]!.promise;
    pool.started(buckets[i]!);
  }
  assert.notEqual(buckets[0]!.packed, buckets[1]!.packed);
  let third = false;
  const taking = pool.take(buckets[2]!).then(() => (third = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(third, false, 'both buffers are read by reduce-scatters still running');
  ops[1]!.resolve(); // the second finishing does not help: the pool waits on the oldest
  await new Promise((r) => setImmediate(r));
  assert.equal(third, false);
  const first = buckets[0]!.packed;
  ops[0]!.resolve();
  await taking;
  assert.equal(buckets[2]!.packed, first, "the first bucket's buffer, once its reduce-scatter is done");
  assert.equal(buckets[0]!.packed, null);
  buckets[2]!.op = ops[2]!.promise;
  pool.started(buckets[2]!);
  ops[2]!.resolve();
  await pool.drain();
  await pool.take(buckets[3]!);
  assert.ok(buckets[3]!.packed);
  assert.equal(pool.bytes, 80, 'the figure does not change as buffers are taken');
});
