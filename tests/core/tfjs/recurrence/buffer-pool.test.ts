// The recurrent kernels' buffer pool: a given-back buffer of the asked size is handed out again
// (the same memory), other sizes get fresh ones, and at most `perSize` buffers wait per size.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../../../src/core/tfjs/recurrence/buffer-pool';

describe('BufferPool', () => {
  test('hands a given-back buffer out again for its size only; null is ignored', () => {
    const pool = new BufferPool();
    const a = pool.take(8);
    assert.equal(a.length, 8);
    a.fill(3);
    pool.give(a, null);
    const other = pool.take(9);
    assert.notEqual(other.buffer, a.buffer);
    const again = pool.take(8);
    assert.equal(again, a);
    assert.deepEqual(Array.from(again), new Array(8).fill(3), 'contents are whatever was left');
    assert.notEqual(pool.take(8), a, 'handed out once, not twice');
  });

  test('keeps at most perSize free buffers of one size', () => {
    const pool = new BufferPool(2);
    const bufs = [pool.take(4), pool.take(4), pool.take(4)];
    pool.give(...bufs);
    const back = [pool.take(4), pool.take(4), pool.take(4)];
    assert.equal(back.filter((b) => bufs.includes(b)).length, 2);
  });
});
