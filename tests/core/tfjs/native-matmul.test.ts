// BatchMatMul and _FusedMatMul on the native BLAS against a float64 reference: random odd shapes, every
// transpose combination, batch dims with broadcasting, the fused bias/activation epilogue.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { registerProjectKernels, selectBackend, type NativeGemm } from '../../../src/core/tfjs';
import { nativeForTests } from '../../helpers/native-blas';
import { seededRandom, testSeed } from '../../helpers/seed';
import { assertClose, matmulRef } from './native-reference';

const { native, skip } = nativeForTests();

describe('native-BLAS matmul kernels equal a float64 reference', { skip }, () => {
  let sgemmCalls = 0;
  let rand: () => number;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const values = (n: number) => new Float32Array(n).map(() => 2 * rand() - 1);

  before(async () => {
    rand = seededRandom(testSeed('native matmul'));
    // Counts the calls, so a pass cannot come from the wasm kernel answering instead.
    const counting: NativeGemm = {
      ...native!,
      sgemm: (...args) => {
        sgemmCalls++;
        native!.sgemm(...args);
      },
    };
    const sel = await selectBackend(['wasm'], { native: counting });
    assert.equal(sel.nativeBlas, true);
  });
  after(() => registerProjectKernels());

  /** Runs the kernel with a [..batchA, rows, cols] and b likewise; checks every batch entry. */
  function check(kernel: string, batchA: number[], batchB: number[], ta: boolean, tb: boolean) {
    const M = int(1, 67);
    const N = int(1, 53);
    const K = int(1, 71);
    const aShape = [...batchA, ...(ta ? [K, M] : [M, K])];
    const bShape = [...batchB, ...(tb ? [N, K] : [K, N])];
    const av = values(aShape.reduce((x, y) => x * y, 1));
    const bv = values(bShape.reduce((x, y) => x * y, 1));
    const before = sgemmCalls;
    const out = tf.tidy(() => {
      const y = tf
        .engine()
        .runKernel(
          kernel,
          { a: tf.tensor(av, aShape), b: tf.tensor(bv, bShape) },
          { transposeA: ta, transposeB: tb },
        ) as tf.Tensor;
      return { shape: y.shape, data: y.dataSync() as Float32Array };
    });
    const ba = batchA.reduce((x, y) => x * y, 1);
    const bb = batchB.reduce((x, y) => x * y, 1);
    const batch = Math.max(ba, bb);
    const outer =
      batchA.length >= batchB.length
        ? batchA.map((d, i) => Math.max(d, batchB[i - (batchA.length - batchB.length)] ?? 1))
        : batchB.map((d, i) => Math.max(d, batchA[i - (batchB.length - batchA.length)] ?? 1));
    const what = `${kernel} a[${aShape}]${ta ? 'ᵀ' : ''} b[${bShape}]${tb ? 'ᵀ' : ''}`;
    assert.deepEqual(out.shape, [...outer, M, N], what);
    assert.equal(sgemmCalls - before, batch, `${what}: one sgemm per batch entry`);
    for (let i = 0; i < batch; i++) {
      const ai = ba === 1 ? 0 : i;
      const bi = bb === 1 ? 0 : i;
      const ref = matmulRef(
        av.subarray(ai * M * K, (ai + 1) * M * K),
        bv.subarray(bi * K * N, (bi + 1) * K * N),
        M,
        N,
        K,
        ta,
        tb,
      );
      assertClose(out.data.subarray(i * M * N, (i + 1) * M * N), ref, `${what} batch ${i}`);
    }
  }

  const TRANSPOSES = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const;

  test('2-D, every transpose combination, odd sizes', () => {
    for (const [ta, tb] of TRANSPOSES) for (let r = 0; r < 3; r++) check('BatchMatMul', [], [], ta, tb);
  });

  test('batch dims: equal, broadcast from one side, rank 4', () => {
    for (const [ta, tb] of TRANSPOSES) {
      check('BatchMatMul', [3], [3], ta, tb);
      check('BatchMatMul', [4], [1], ta, tb);
      check('BatchMatMul', [1], [5], ta, tb);
      check('BatchMatMul', [2, 3], [2, 3], ta, tb);
      check('BatchMatMul', [2, 2], [], ta, tb);
    }
  });

  test('_FusedMatMul: bias and relu / leakyrelu / linear, with transposes and batch > 1', () => {
    for (const [ta, tb] of TRANSPOSES) {
      for (const activation of ['relu', 'leakyrelu', 'linear']) {
        checkFused(ta, tb, activation, values(int(1, 40)), 0.3);
      }
    }
  });

  function checkFused(ta: boolean, tb: boolean, activation: string, bias: Float32Array, alpha: number) {
    const N = bias.length;
    const M = int(1, 45);
    const K = int(1, 50);
    const batch = int(1, 3);
    const aShape = [batch, ...(ta ? [K, M] : [M, K])];
    const bShape = [batch, ...(tb ? [N, K] : [K, N])];
    const av = values(batch * M * K);
    const bv = values(batch * K * N);
    const calls = sgemmCalls;
    const out = tf.tidy(
      () =>
        (
          tf
            .engine()
            .runKernel(
              '_FusedMatMul',
              { a: tf.tensor(av, aShape), b: tf.tensor(bv, bShape), bias: tf.tensor(bias, [N]) },
              { transposeA: ta, transposeB: tb, activation, leakyreluAlpha: alpha },
            ) as tf.Tensor
        ).dataSync() as Float32Array,
    );
    assert.equal(sgemmCalls - calls, batch, 'one sgemm per batch entry');
    for (let i = 0; i < batch; i++) {
      const ref = matmulRef(av.subarray(i * M * K, (i + 1) * M * K), bv.subarray(i * K * N, (i + 1) * K * N), M, N, K, ta, tb);
      for (let e = 0; e < M * N; e++) {
        const v = ref.values[e]! + bias[e % N]!;
        ref.values[e] = activation === 'relu' ? Math.max(0, v) : activation === 'leakyrelu' ? (v < 0 ? alpha * v : v) : v;
        ref.scale[e]! += Math.abs(bias[e % N]!);
      }
      assertClose(out.subarray(i * M * N, (i + 1) * M * N), ref, `_FusedMatMul ${activation} ${ta}/${tb} batch ${i}`);
    }
  }

  test('no tensor or wasm buffer leaks', () => {
    const tensors = tf.memory().numTensors;
    const ids = tf.backend().numDataIds();
    tf.tidy(() => {
      const a = tf.randomNormal([2, 9, 7]);
      tf.matMul(a, a, true, false);
      tf.fused.matMul({ a, b: a, transposeA: false, transposeB: true, bias: tf.ones([9]), activation: 'relu' });
    });
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(tf.backend().numDataIds(), ids);
  });
});
