// ReluGrad (the one-pass relu gradient) and the Relu gradient override, against dy·step(x) evaluated
// here in float64 per element (exact: the factor is 1, 0 or NaN), on wasm with and without the project
// kernels and on cpu.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { registerProjectKernels, selectBackend, unregisterProjectKernels } from '../../../../src/core/tfjs';
import '../../../../src/core/tfjs/gradients';
import { seededRandom, testSeed } from '../../../helpers/seed';

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40];

function values(rand: () => number, n: number): Float32Array {
  return new Float32Array(n).map(() => (rand() < 0.1 ? SPECIAL[Math.floor(rand() * SPECIAL.length)] : rand() * 4 - 2));
}

const reference = (x: Float32Array, dy: Float32Array): Float32Array =>
  dy.map((d, i) => d * (x[i] > 0 ? 1 : Number.isNaN(x[i]) ? NaN : 0));

function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `${label}[${i}]: ${got[i]}, reference ${want[i]}`);
}

const reluGradOf = (xv: Float32Array, dyv: Float32Array, shape: number[]) =>
  tf.tidy(() => {
    const dy = tf.tensor(dyv, shape);
    return tf
      .grad((x: tf.Tensor) => tf.mul(tf.relu(x), dy))(tf.tensor(xv, shape))
      .dataSync();
  });

describe('the relu gradient in one pass', () => {
  before(async () => {
    const sel = await selectBackend(['wasm']);
    assert.ok(sel.projectKernels.includes('ReluGrad'));
  });

  test('ReluGrad kernel: sizes in and out of fours, NaN/±∞/±0/denormals in x and dy', () => {
    const rand = seededRandom(testSeed('relu-grad kernel'));
    for (const n of [1, 3, 4, 7, 64, 1001, 4099]) {
      const xv = values(rand, n);
      const dyv = values(rand, n);
      const got = tf
        .tidy(() => tf.engine().runKernel('ReluGrad', { dy: tf.tensor(dyv, [n]), x: tf.tensor(xv, [n]) }) as tf.Tensor)
        .dataSync();
      assertSame(got, reference(xv, dyv), `n=${n}`);
    }
  });

  test('tf.grad of relu: the same values with the project kernel, with tfjs formula, and on cpu', async () => {
    const rand = seededRandom(testSeed('relu-grad tape'));
    const shape = [3, 5, 7, 2];
    const xv = values(rand, 210);
    const dyv = values(rand, 210).map((v) => (Number.isFinite(v) ? v : 0.5)); // mul(relu(x), dy) needs finite dy for a finite chain
    const want = reference(xv, dyv);
    const ids = tf.backend().numDataIds();
    assertSame(reluGradOf(xv, dyv, shape), want, 'wasm project');
    assert.equal(tf.backend().numDataIds(), ids, 'no leak');
    unregisterProjectKernels();
    try {
      assertSame(reluGradOf(xv, dyv, shape), want, 'wasm stock');
    } finally {
      registerProjectKernels();
    }
    await tf.setBackend('cpu');
    try {
      assertSame(reluGradOf(xv, dyv, shape), want, 'cpu');
    } finally {
      await tf.setBackend('wasm');
    }
  });

  test("ReluGrad's own gradient: d/d(dy) of Σ w·ReluGrad(dy, x) is ReluGrad(w, x)", () => {
    const rand = seededRandom(testSeed('relu-grad second order'));
    const xv = values(rand, 50);
    const wv = new Float32Array(50).map(() => rand() - 0.5);
    const got = tf.tidy(() => {
      const x = tf.tensor(xv, [50]);
      const w = tf.tensor(wv, [50]);
      return tf
        .grad((dy: tf.Tensor) => tf.sum(tf.mul(w, tf.engine().runKernel('ReluGrad', { dy, x }) as tf.Tensor)))(tf.ones([50]))
        .dataSync();
    });
    assertSame(got, reference(xv, wv), 'd/d(dy)');
  });
});
