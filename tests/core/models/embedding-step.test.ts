// An Embedding's gradient comes out sparse (one row per id, batch order, repeats kept) and sums, per id,
// to the dense table gradient tfjs computes through gather; batch slices concatenate to the whole batch.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { useCpuBackend } from '../../helpers/tf';
import { buildKerasModel, combineSums, forward, initParams, lossAndGradsSum } from '../../../src/core/models/index';

const MODEL = buildKerasModel(
  {
    class_name: 'Sequential',
    config: {
      name: 'seq',
      layers: [
        { class_name: 'InputLayer', config: { batch_shape: [null, 3], dtype: 'int32', name: 'ids' } },
        { class_name: 'Embedding', config: { name: 'embedding', input_dim: 5, output_dim: 2 } },
        { class_name: 'Flatten', config: { name: 'flatten' } },
        { class_name: 'Dense', config: { name: 'dense', units: 3 } },
      ],
    },
  },
  { loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } } },
);

const X = Float32Array.of(0, 1, 1, 4, 1, 0, 2, 2, 2, 3, 0, 1);
const Y = Int32Array.of(0, 2, 1, 1);

before(async () => {
  await useCpuBackend();
});

test('sparse rows per id equal the dense gradient through gather; nothing leaks', () => {
  const params = initParams(MODEL, 11);
  const before = tf.memory().numTensors;
  const sums = lossAndGradsSum(MODEL, params, X, Y, 4);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  const sparse = sums.sparse!.get('embedding/embeddings')!;
  assert.deepEqual([...sparse.rows], [...X], 'one row per id, in batch order, repeats kept');
  assert.equal(sums.grads.has('embedding/embeddings'), false, 'no dense table gradient');
  const dense = tf.tidy(() => {
    const shaped = (p: string) => tf.tensor(params.get(p)!, MODEL.params.find((q) => q.path === p)!.shape);
    const table = shaped('embedding/embeddings');
    const f = (t: tf.Tensor) => {
      const p = new Map([
        ['embedding/embeddings', t],
        ['dense/kernel', shaped('dense/kernel')],
        ['dense/bias', shaped('dense/bias')],
      ]);
      const logits = forward(MODEL, p, tf.tensor(X, [4, 3]));
      return tf.sum(tf.neg(tf.sum(tf.mul(tf.oneHot(tf.tensor1d(Y, 'int32'), 3), tf.logSoftmax(logits)), 1))) as tf.Scalar;
    };
    return tf.grad(f)(table).dataSync();
  });
  const summed = new Float64Array(10);
  sparse.rows.forEach((r, k) => [0, 1].forEach((j) => (summed[r * 2 + j] += sparse.values[k * 2 + j]!)));
  summed.forEach((v, i) => assert.ok(Math.abs(v - dense[i]!) < 1e-6, `table[${i}]: ${v} vs ${dense[i]}`));
});

test('ids outside [0, input_dim) are one clear error', () => {
  assert.throws(
    () => lossAndGradsSum(MODEL, initParams(MODEL, 1), Float32Array.of(0, 1, 5), Int32Array.of(0), 1),
    /embedding "embedding": input id 5 at position 2 is outside \[0, 5\)/,
  );
});

test('two batch slices combine into the whole batch: same rows, same order, same values', () => {
  const params = initParams(MODEL, 3);
  const whole = lossAndGradsSum(MODEL, params, X, Y, 4).sparse!.get('embedding/embeddings')!;
  const parts = combineSums([
    lossAndGradsSum(MODEL, params, X.subarray(0, 6), Y.subarray(0, 2), 2),
    lossAndGradsSum(MODEL, params, X.subarray(6), Y.subarray(2), 2),
  ]);
  const joined = parts.sparse!.get('embedding/embeddings')!;
  assert.deepEqual([...joined.rows], [...whole.rows]);
  assert.deepEqual([...joined.values], [...whole.values]);
});
