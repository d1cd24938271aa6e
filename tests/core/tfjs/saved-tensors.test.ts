// The engine's clone of tensors saved for backward, made by sharing the buffer (shareSavedTensors,
// installed by selectBackend): gradients through saving ops (matMul, tanh, mul, a custom gradient's
// save) against a float64 reference written here, with every intermediate disposed by the forward
// pass's tidy before backward reads the saved copies; no Identity kernel runs for them; the tensor
// count returns to where it was; and a gradient of a gradient (where the stock clone's tape node is
// needed) still matches its closed form. On each backend a user lands on: wasm with and without the
// native BLAS, cpu.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../src/core/tfjs/gradients';
import { savedTensorsShared, selectBackend } from '../../../src/core/tfjs';
import { scaledSoftmax } from '../../../src/core/tfjs/softmax';
import { nativeForTests } from '../../helpers/native-blas';
import { seededRandom, testSeed } from '../../helpers/seed';

const [M, K, N] = [5, 7, 3];

/** f(x, W) = Σ c ⊙ tanh(x·W) ⊙ (x·W); dW = xᵀ·(c ⊙ ((1 − t²)·z + t)) with z = x·W, t = tanh z. */
function reference(x: Float32Array, w: Float32Array, c: Float32Array) {
  const dz = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let z = 0;
      for (let k = 0; k < K; k++) z += x[i * K + k]! * w[k * N + j]!;
      const t = Math.tanh(z);
      dz[i * N + j] = c[i * N + j]! * ((1 - t * t) * z + t);
    }
  const dw = new Float64Array(K * N);
  for (let k = 0; k < K; k++)
    for (let j = 0; j < N; j++) for (let i = 0; i < M; i++) dw[k * N + j] += x[i * K + k]! * dz[i * N + j]!;
  return dw;
}

function near(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    assert.ok(err <= tol * (1 + Math.abs(want[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]} (error ${err})`);
  }
}

const { native, skip: noBlas } = nativeForTests();
const paths = [
  { name: 'wasm+blas', backend: 'wasm' as const, native: true, skip: noBlas },
  { name: 'wasm', backend: 'wasm' as const, native: false, skip: false as const },
  { name: 'cpu', backend: 'cpu' as const, native: false, skip: false as const },
];

describe('tensors saved for backward share their buffers', () => {
  after(async () => {
    await selectBackend(['wasm']);
  });

  for (const path of paths) {
    test(path.name, { skip: path.skip }, async () => {
      await selectBackend([path.backend], path.native ? { native: native! } : {});
      assert.ok(savedTensorsShared(), 'selectBackend installs the shared clone');
      const rand = seededRandom(testSeed(`saved tensors ${path.name}`));
      const fill = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);
      const [xv, wv, cv] = [fill(M * K), fill(K * N), fill(M * N)];
      const [x, w, c] = [tf.tensor2d(xv, [M, K]), tf.tensor2d(wv, [K, N]), tf.tensor2d(cv, [M, N])];
      const f = (wIn: tf.Tensor) => {
        const z = tf.matMul(x, wIn);
        return tf.sum(tf.mul(tf.mul(c, tf.tanh(z)), z));
      };
      const want = reference(xv, wv, cv);
      const before = tf.memory().numTensors;
      for (let round = 0; round < 3; round++) {
        const profile = await tf.profile(() => {
          const dw = tf.grad(f)(w);
          near(dw.dataSync(), want, 1e-5, `dW round ${round}`);
          dw.dispose();
        });
        const identities = profile.kernels.filter((k) => k.name === 'Identity').length;
        assert.equal(identities, 0, 'no Identity kernel for the saved tensors');
        assert.equal(tf.memory().numTensors, before, `tensor count after round ${round}`);
      }
      // A custom gradient's save (the attention softmax): y saved, its inputs disposed by the tidy.
      const logits = tf.tensor2d(fill(2 * 4), [2, 4]);
      const weights = tf.tensor2d(fill(2 * 4), [2, 4]);
      const dl = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(scaledSoftmax(tf.mul(l, 1), 0.5), weights)))(logits);
      const [lv, wt] = [logits.dataSync(), weights.dataSync()];
      const wantDl = new Float64Array(8);
      for (let r = 0; r < 2; r++) {
        const e = Array.from({ length: 4 }, (_, j) => Math.exp(0.5 * lv[r * 4 + j]!));
        const s = e.reduce((a, v) => a + v, 0);
        const p = e.map((v) => v / s);
        const wy = p.reduce((a, v, j) => a + v * wt[r * 4 + j]!, 0);
        p.forEach((v, j) => (wantDl[r * 4 + j] = 0.5 * v * (wt[r * 4 + j]! - wy)));
      }
      near(dl.dataSync(), wantDl, 1e-5, 'softmax dlogits');
      // d/dx of d/dx Σ x³ = 6x: the inner backward differentiates through saved tensors.
      const xs = tf.tensor1d(fill(6));
      const second = tf.grad((v: tf.Tensor) => tf.sum(tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.mul(u, u), u)))(v)))(xs);
      near(
        second.dataSync(),
        Array.from(xs.dataSync(), (v) => 6 * v),
        1e-5,
        'second derivative',
      );
      tf.dispose([x, w, c, logits, weights, dl, xs, second]);
    });
  }
});
