// Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter on the native BLAS against float64 references:
// random odd sizes, same/valid/explicit padding, strides 1 and 2 (and mixed), non-square kernels,
// 1×1 (no columns), batch chunking with an uneven last chunk; and the fallback for dilation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { registerProjectKernels, selectBackend, type NativeGemm } from '../../../src/core/tfjs';
import '../../../src/core/tfjs/gradients';
import { nativeLimits } from '../../../src/core/tfjs/kernels/native-gemm';
import { nativeForTests } from '../../helpers/native-blas';
import { seededRandom, testSeed } from '../../helpers/seed';
import { assertClose, conv2dBackpropFilterRef, conv2dBackpropInputRef, conv2dRef, type ConvGeom } from './native-reference';

const { native, skip } = nativeForTests();
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

describe('native-BLAS convolution kernels equal a float64 reference', { skip }, () => {
  const calls = { sgemm: 0, im2col: 0, col2im: 0 };
  let rand: () => number;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const values = (n: number) => new Float32Array(n).map(() => 2 * rand() - 1);

  before(async () => {
    rand = seededRandom(testSeed('native conv'));
    const counting: NativeGemm = {
      sgemm: (...a) => {
        calls.sgemm++;
        native!.sgemm(...a);
      },
      im2col: (...a) => {
        calls.im2col++;
        native!.im2col(...a);
      },
      col2im: (...a) => {
        calls.col2im++;
        native!.col2im(...a);
      },
    };
    assert.equal((await selectBackend(['wasm'], { native: counting })).nativeBlas, true);
  });
  after(() => registerProjectKernels());

  /** A random case: geometry as tfjs computes it (its own padding rules), and the tensors' values. */
  function randomCase(pad: Pad, strides: [number, number], fh = int(1, 4), fw = int(1, 4)) {
    const N = int(1, 4),
      H = int(fh, 11),
      W = int(fw, 10),
      C = int(1, 5),
      CO = int(1, 6);
    const info = tf.backend_util.computeConv2DInfo([N, H, W, C], [fh, fw, C, CO], strides, 1, pad, 'floor');
    const g: ConvGeom = {
      N,
      H,
      W,
      C,
      FH: fh,
      FW: fw,
      CO,
      SH: strides[0],
      SW: strides[1],
      top: info.padInfo.top,
      left: info.padInfo.left,
      OH: info.outHeight,
      OW: info.outWidth,
    };
    return { g, attrs: { strides, pad, dataFormat: 'NHWC', dilations: 1, dimRoundingMode: 'floor' } };
  }

  function run(kernel: string, inputs: Record<string, [Float32Array, number[]]>, attrs: object): Float32Array {
    return tf.tidy(() => {
      const ts = Object.fromEntries(Object.entries(inputs).map(([k, [v, s]]) => [k, tf.tensor(v, s)]));
      return (tf.engine().runKernel(kernel, ts, attrs as tf.NamedAttrMap) as tf.Tensor).dataSync() as Float32Array;
    });
  }

  /** Every kernel on one geometry; `native` false expects the fallback (no im2col/sgemm call). */
  function checkAll(g: ConvGeom, attrs: object, expectNative = true) {
    const x = values(g.N * g.H * g.W * g.C);
    const w = values(g.FH * g.FW * g.C * g.CO);
    const dy = values(g.N * g.OH * g.OW * g.CO);
    const xs = [g.N, g.H, g.W, g.C];
    const ws = [g.FH, g.FW, g.C, g.CO];
    const ys = [g.N, g.OH, g.OW, g.CO];
    const what = `x[${xs}] w[${ws}] ${JSON.stringify(attrs)}`;
    const before = calls.sgemm;
    assertClose(run('Conv2D', { x: [x, xs], filter: [w, ws] }, attrs), conv2dRef(x, w, g), `Conv2D ${what}`);
    assertClose(
      run('Conv2DBackpropInput', { dy: [dy, ys], filter: [w, ws] }, { ...attrs, inputShape: xs }),
      conv2dBackpropInputRef(dy, w, g),
      `Conv2DBackpropInput ${what}`,
    );
    assertClose(
      run('Conv2DBackpropFilter', { x: [x, xs], dy: [dy, ys] }, { ...attrs, filterShape: ws }),
      conv2dBackpropFilterRef(x, dy, g),
      `Conv2DBackpropFilter ${what}`,
    );
    assert.equal(calls.sgemm > before, expectNative, `${what}: native path ${expectNative ? 'expected' : 'not expected'}`);
  }

  test('same and valid padding, strides 1, 2 and mixed, non-square kernels, odd sizes', () => {
    for (const pad of ['same', 'valid'] as const) {
      for (const strides of [
        [1, 1],
        [2, 2],
        [1, 2],
        [2, 1],
      ] as [number, number][]) {
        for (let r = 0; r < 3; r++) {
          const { g, attrs } = randomCase(pad, strides);
          checkAll(g, attrs);
        }
      }
    }
  });

  test('explicit padding (numeric, and asymmetric per side), and 1×1 kernels (stride 1: no im2col)', () => {
    for (let r = 0; r < 3; r++) {
      // tfjs sizes both axes of a numeric pad by the filter height and stride: square ones only.
      const f = int(1, 4);
      const s = int(1, 2);
      const numeric = randomCase(int(0, 2), [s, s], f, f);
      checkAll(numeric.g, numeric.attrs);
      const sides = randomCase(
        [
          [0, 0],
          [int(0, 2), int(0, 2)],
          [int(0, 2), int(0, 2)],
          [0, 0],
        ],
        [int(1, 2), int(1, 2)],
      );
      checkAll(sides.g, sides.attrs);
    }
    const im2col = calls.im2col;
    const col2im = calls.col2im;
    const { g, attrs } = randomCase('valid', [1, 1], 1, 1);
    checkAll(g, attrs);
    assert.deepEqual([calls.im2col, calls.col2im], [im2col, col2im], '1×1 stride 1 uses no columns');
    const strided = randomCase('same', [2, 2], 1, 1);
    checkAll(strided.g, strided.attrs);
  });

  test('batch chunks (uneven last chunk) give the same numbers, the filter gradient summed over chunks', () => {
    const saved = nativeLimits.maxCols;
    const { g, attrs } = randomCase('same', [1, 2], 3, 2);
    const oneChunk = { ...g, N: 5 };
    // Two examples' columns per chunk: chunks of 2, 2, 1.
    nativeLimits.maxCols = 2 * oneChunk.OH * oneChunk.OW * oneChunk.FH * oneChunk.FW * oneChunk.C;
    try {
      const im2col = calls.im2col;
      checkAll(oneChunk, attrs);
      assert.equal(calls.im2col - im2col, 6, 'three chunks each for Conv2D and Conv2DBackpropFilter');
    } finally {
      nativeLimits.maxCols = saved;
    }
  });

  test('dilation 2 is not native: the wasm kernel answers (forward only; tfjs has no dilated gradients)', () => {
    const x = values(2 * 9 * 8 * 3);
    const w = values(2 * 3 * 3 * 4);
    const before = calls.sgemm;
    const got = run(
      'Conv2D',
      { x: [x, [2, 9, 8, 3]], filter: [w, [2, 3, 3, 4]] },
      { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 2 },
    );
    assert.equal(calls.sgemm, before);
    // Dilation 2 taps = a 3×5 kernel with zeros between the taps.
    const wd = new Float32Array(3 * 5 * 3 * 4);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) wd.set(w.subarray((i * 3 + j) * 12, (i * 3 + j + 1) * 12), (i * 2 * 5 + j * 2) * 12);
    const g: ConvGeom = { N: 2, H: 9, W: 8, C: 3, FH: 3, FW: 5, CO: 4, SH: 1, SW: 1, top: 0, left: 0, OH: 7, OW: 4 };
    assertClose(got, conv2dRef(x, wd, g), 'dilated Conv2D');
  });

  test('a CNN gradient through the engine leaks no tensor or wasm buffer', () => {
    const tensors = tf.memory().numTensors;
    const ids = tf.backend().numDataIds();
    tf.tidy(() => {
      const x = tf.randomNormal([3, 8, 7, 2]) as tf.Tensor4D;
      const w = tf.randomNormal([3, 2, 2, 4]) as tf.Tensor4D;
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, w]);
    });
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(tf.backend().numDataIds(), ids);
  });
});
