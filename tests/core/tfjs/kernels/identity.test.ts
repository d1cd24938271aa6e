// Identity on wasm shares the buffer (tensors are immutable) instead of copying it: values equal, each
// owner disposes independently, and the buffer is freed with the last one.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';

describe('Identity on wasm', () => {
  before(async () => {
    const sel = await selectBackend(['wasm']);
    assert.ok(sel.projectKernels.includes('Identity'));
  });

  test('a clone reads the same values, outlives its source, and frees the buffer with the last owner', () => {
    const ids = tf.backend().numDataIds();
    const a = tf.tensor([1.5, -2, 3, 4, 5, 6], [2, 3]);
    const b = tf.clone(a);
    assert.equal(tf.backend().numDataIds(), ids + 1, 'no second buffer');
    a.dispose();
    assert.deepEqual(b.shape, [2, 3]);
    assert.deepEqual(Array.from(b.dataSync()), [1.5, -2, 3, 4, 5, 6]);
    b.dispose();
    assert.equal(tf.backend().numDataIds(), ids);
  });

  test('int32 and bool clones keep their dtype and values', () => {
    const i = tf.tensor([7, -8, 9], [3], 'int32');
    const c = tf.clone(i);
    assert.equal(c.dtype, 'int32');
    assert.deepEqual(Array.from(c.dataSync()), [7, -8, 9]);
    const m = tf.clone(tf.greater(i, tf.scalar(0, 'int32')));
    assert.equal(m.dtype, 'bool');
    assert.deepEqual(Array.from(m.dataSync()), [1, 0, 1]);
    tf.dispose([i, c, m]);
  });
});
