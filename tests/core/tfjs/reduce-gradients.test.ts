// The project's Sum and Mean gradients (ones from the backend's Fill, not a JavaScript array): for
// L = Σ w ⊙ reduce(x, axes), dL/dx at each element is w at its reduced position (Sum), divided by the
// reduced size in float32 (Mean), computed here from the definition; every reduction shape the
// models use (last axis, leading axes, several axes, all axes, keepDims), on wasm with and without the
// native BLAS and on cpu. Exact: the gradient is one product by 1.0 and one float32 division.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../src/core/tfjs/gradients';
import { selectBackend } from '../../../src/core/tfjs';
import { nativeForTests } from '../../helpers/native-blas';
import { seededRandom, testSeed } from '../../helpers/seed';

const SHAPE = [3, 4, 5];
const CASES: { axes: number[]; keepDims: boolean }[] = [
  { axes: [2], keepDims: false },
  { axes: [1], keepDims: false },
  { axes: [0, 1], keepDims: false },
  { axes: [0, 2], keepDims: true },
  { axes: [0, 1, 2], keepDims: false },
];

/** dL/dx from the definition: each x element's reduced position's weight (/ n for Mean, float32). */
function reference(w: Float32Array, axes: number[], mean: boolean): Float32Array {
  const n = axes.reduce((p, a) => p * SHAPE[a]!, 1);
  const outShape = SHAPE.map((d, a) => (axes.includes(a) ? 1 : d));
  const out = new Float32Array(SHAPE.reduce((p, d) => p * d, 1));
  for (let i = 0; i < out.length; i++) {
    const idx = [Math.floor(i / 20), Math.floor(i / 5) % 4, i % 5];
    const at = idx.reduce((p, v, a) => p * outShape[a]! + (axes.includes(a) ? 0 : v), 0);
    out[i] = mean ? Math.fround(w[at]! / n) : w[at]!;
  }
  return out;
}

const { native, skip: noBlas } = nativeForTests();
const paths = [
  { name: 'wasm+blas', backend: 'wasm' as const, native: true, skip: noBlas },
  { name: 'wasm', backend: 'wasm' as const, native: false, skip: false as const },
  { name: 'cpu', backend: 'cpu' as const, native: false, skip: false as const },
];

describe('Sum and Mean gradients', () => {
  after(async () => {
    await selectBackend(['wasm']);
  });
  for (const path of paths) {
    test(path.name, { skip: path.skip }, async () => {
      await selectBackend([path.backend], path.native ? { native: native! } : {});
      const rand = seededRandom(testSeed(`reduce gradients ${path.name}`));
      const x = tf.tensor(
        Float32Array.from({ length: 60 }, () => rand() * 2 - 1),
        SHAPE,
      );
      for (const { axes, keepDims } of CASES)
        for (const mean of [false, true]) {
          const outSize = SHAPE.reduce((p, d, a) => p * (axes.includes(a) ? 1 : d), 1);
          const wv = Float32Array.from({ length: outSize }, () => Math.fround(rand() * 4 - 2));
          const before = tf.memory().numTensors;
          const dx = tf.tidy(() => {
            const reduced = (v: tf.Tensor) => (mean ? tf.mean(v, axes, keepDims) : tf.sum(v, axes, keepDims));
            return tf.grad((v: tf.Tensor) => {
              const r = reduced(v);
              return tf.sum(tf.mul(r, tf.tensor(wv, r.shape)));
            })(x);
          });
          const want = reference(wv, axes, mean);
          const got = dx.dataSync();
          for (let i = 0; i < want.length; i++)
            assert.ok(Object.is(got[i], want[i]), `${mean ? 'Mean' : 'Sum'} over ${axes}: dx[${i}] ${got[i]} vs ${want[i]}`);
          dx.dispose();
          assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
        }
      x.dispose();
    });
  }
});
