// The scaled softmax's gradient kernel (native/blas/softmax.c, wasm with the native BLAS): against
// dx = s·y·(dy − Σ dy·y) in float64 written here, and bit for bit against the float32 rounding order it
// documents, re-stated here (products and differences rounded, the row sum in float64 over 8 lanes);
// the addon's argument checks; where it is registered. tests/core/tfjs/softmax.test.ts runs the op on
// every backend path.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getKernel } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import { SOFTMAX_GRAD, nativeSoftmaxGradConfig } from '../../../../src/core/tfjs/kernels/softmax-grad';
import { nativeForTests } from '../../../helpers/native-blas';
import { seededRandom, testSeed } from '../../../helpers/seed';

const { native, skip } = nativeForTests();
const noGrad = skip || (native?.softmaxGrad ? false : 'this addon has no softmaxGrad (rebuild: node scripts/build-native.mjs)');

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

/** The kernel's rounding order re-stated: p = f32(dy·y); Σp in float64, lane k the terms j ≡ k (mod 8). */
function float32Order(dy: Float32Array, y: Float32Array, cols: number, scale: number, dx: Float32Array): void {
  const r = Math.fround;
  for (let o = 0; o < y.length; o += cols) {
    const l = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < cols; j++) l[j % 8] += r(dy[o + j]! * y[o + j]!);
    const sf = r(l[0]! + l[1]! + (l[2]! + l[3]!) + (l[4]! + l[5]! + (l[6]! + l[7]!)));
    for (let j = o; j < o + cols; j++) dx[j] = r(r(scale) * r(r(dy[j]! * y[j]!) - r(sf * y[j]!)));
  }
}

const SHAPES: [rows: number, cols: number][] = [
  [512, 64],
  [7, 1],
  [9, 3],
  [11, 9],
  [5, 17],
];

describe('softmax gradient kernel (native)', { skip: noGrad }, () => {
  after(async () => {
    await selectBackend(['wasm']);
  });

  test('dx within float32 rounding of the float64 reference', () => {
    const rand = seededRandom(testSeed('softmax grad'));
    for (const [rows, cols] of SHAPES) {
      const { y, dy } = inputs(rand, rows, cols);
      const dx = new Float32Array(y.length);
      native!.softmaxGrad!(dy, y, cols, 0.25, dx);
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
          assert.ok(Math.abs(dx[j]! - want) <= 4e-7 * scale + 1e-12, `${rows}×${cols} dx[${j}]: ${dx[j]} vs ${want}`);
        }
      }
    }
  });

  test('bit for bit the rounding order it documents (subarray views at an offset)', () => {
    const rand = seededRandom(testSeed('softmax grad bits'));
    for (const [rows, cols] of SHAPES) {
      const { y, dy } = inputs(rand, rows, cols);
      const a = new Float32Array(y.length + 2);
      const b = new Float32Array(y.length + 2);
      native!.softmaxGrad!(dy, y, cols, 0.125, a.subarray(1, 1 + y.length));
      float32Order(dy, y, cols, 0.125, b.subarray(1, 1 + y.length));
      assert.deepEqual(new Uint32Array(a.buffer), new Uint32Array(b.buffer), `${rows}×${cols}`);
    }
  });

  test('the addon checks every length before touching memory', () => {
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

  test('registered on wasm with the native BLAS only; an addon without it registers nothing', async () => {
    await selectBackend(['wasm'], { native: native! });
    assert.ok(getKernel(SOFTMAX_GRAD, 'wasm'));
    await selectBackend(['wasm']);
    assert.equal(getKernel(SOFTMAX_GRAD, 'wasm'), undefined);
    const { softmaxGrad: _, ...older } = native!;
    assert.equal(nativeSoftmaxGradConfig(older), null);
  });
});
