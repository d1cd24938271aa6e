// The scaled softmax's gradient kernel, both loops: the native addon's (native/blas/softmax.c, wasm with
// the native BLAS) and the JavaScript one (wasm without it), each against dx = s·y·(dy − Σ dy·y) in
// float64 written here, then against each other bit for bit; the addon's argument checks; which loop
// is registered on each path. tests/core/tfjs/softmax.test.ts runs the op on every backend path.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getKernel } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import {
  SOFTMAX_GRAD,
  nativeSoftmaxGradConfig,
  softmaxGradConfig,
  softmaxGradRows,
} from '../../../../src/core/tfjs/kernels/softmax-grad';
import { nativeForTests } from '../../../helpers/native-blas';
import { seededRandom, testSeed } from '../../../helpers/seed';

const { native, skip } = nativeForTests();
const noGrad = skip || (native.softmaxGrad ? false : 'this addon has no softmaxGrad (rebuild: node scripts/build-native.mjs)');
type Loop = typeof softmaxGradRows;

/** Probability rows (positive, summing to 1) and an upstream gradient. */
function inputs(rand: () => number, rows: number, cols: number) {
  const y = new Float32Array(rows * cols);
  for (let o = 0; o < y.length; o += cols) {
    const e = Array.from({ length: cols }, () => Math.exp((rand() - 0.5) * 8));
    const sum = e.reduce((a, v) => a + v, 0);
    e.forEach((v, j) => (y[o + j] = v / sum));
  }
  return { y, dy: Float32Array.from({ length: rows * cols }, () => (rand() - 0.5) * 4) };
}

const SHAPES: [rows: number, cols: number][] = [
  [512, 64],
  [7, 1],
  [9, 3],
  [11, 9],
  [5, 17],
];

describe('softmax gradient kernel: native and JavaScript loops', () => {
  after(async () => {
    await selectBackend(['wasm']);
  });

  for (const impl of ['JavaScript', 'native'] as const) {
    test(`${impl}: dx within float32 rounding of the float64 reference`, { skip: impl === 'native' && noGrad }, () => {
      const loop: Loop = impl === 'native' ? native!.softmaxGrad! : softmaxGradRows;
      const rand = seededRandom(testSeed(`softmax grad ${impl}`));
      for (const [rows, cols] of SHAPES) {
        const { y, dy } = inputs(rand, rows, cols);
        const dx = new Float32Array(y.length);
        loop(dy, y, cols, 0.25, dx);
        for (let o = 0; o < y.length; o += cols) {
          let s = 0;
          let sAbs = 0; // Σ|dy·y|: each float32 product's rounding reaches the sum at that size
          for (let j = o; j < o + cols; j++) {
            s += dy[j]! * y[j]!;
            sAbs += Math.abs(dy[j]! * y[j]!);
          }
          for (let j = o; j < o + cols; j++) {
            const want = 0.25 * y[j]! * (dy[j]! - s);
            // Its terms' sizes: the float32 products dy·y and s·y, and the sum's, each carry roundings.
            const scale = 0.25 * y[j]! * (Math.abs(dy[j]!) + Math.abs(s) + sAbs);
            assert.ok(Math.abs(dx[j]! - want) <= 4e-7 * scale + 1e-12, `${impl} ${rows}×${cols} dx[${j}]: ${dx[j]} vs ${want}`);
          }
        }
      }
    });
  }

  test('native equals JavaScript bit for bit (subarray views at an offset)', { skip: noGrad }, () => {
    const rand = seededRandom(testSeed('softmax grad native vs js'));
    for (const [rows, cols] of SHAPES) {
      const { y, dy } = inputs(rand, rows, cols);
      const a = new Float32Array(y.length + 2);
      const b = new Float32Array(y.length + 2);
      native!.softmaxGrad!(dy, y, cols, 0.125, a.subarray(1, 1 + y.length));
      softmaxGradRows(dy, y, cols, 0.125, b.subarray(1, 1 + y.length));
      assert.deepEqual(new Uint32Array(a.buffer), new Uint32Array(b.buffer), `${rows}×${cols}`);
    }
  });

  test('the addon checks every length before touching memory', { skip: noGrad }, () => {
    const g = native!.softmaxGrad!;
    const f = (k: number) => new Float32Array(k);
    g(f(12), f(12), 4, 1, f(12)); // fits exactly
    assert.throws(() => g(f(12), f(12), 5, 1, f(12)), /RangeError: softmaxGrad: y has 12 elements, not whole rows of 5/);
    assert.throws(() => g(f(11), f(12), 4, 1, f(12)), /softmaxGrad: dy has 11 elements, the sizes given need 12/);
    assert.throws(() => g(f(12), f(12), 4, 1, f(11)), /softmaxGrad: dx has 11 elements, the sizes given need 12/);
    assert.throws(() => g(f(12), f(12), 0, 1, f(12)), /softmaxGrad: cols/);
    assert.throws(
      () => g(f(12), new Float64Array(12) as unknown as Float32Array, 4, 1, f(12)),
      /TypeError: softmaxGrad: y must be a Float32Array/,
    );
  });

  test(
    'wasm with the native BLAS registers the native loop; without it, or with an older addon, the JavaScript one',
    { skip: noGrad },
    async () => {
      await selectBackend(['wasm'], { native: native! });
      assert.notEqual(getKernel(SOFTMAX_GRAD, 'wasm')?.kernelFunc, softmaxGradConfig.kernelFunc);
      await selectBackend(['wasm']);
      assert.equal(getKernel(SOFTMAX_GRAD, 'wasm')?.kernelFunc, softmaxGradConfig.kernelFunc);
      const { softmaxGrad: _, ...older } = native!;
      assert.equal(nativeSoftmaxGradConfig(older, softmaxGradConfig), softmaxGradConfig);
    },
  );
});
