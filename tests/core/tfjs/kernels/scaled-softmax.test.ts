// The scaled softmax's forward kernel (native/blas/softmax.c, wasm with the native BLAS): against
// y = exp(s·x − max)/Σ exp(s·x − max) per row in float64 written here, on rows shorter and longer than
// its 8 lanes, logits far apart (terms below e^−87), a row holding NaN; the addon's argument checks;
// where it is registered. tests/core/tfjs/softmax.test.ts runs the op on every backend path.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getKernel } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import { SCALED_SOFTMAX, nativeScaledSoftmaxConfig } from '../../../../src/core/tfjs/kernels/scaled-softmax';
import { baselineNativeForTests, nativeForTests } from '../../../helpers/native-blas';
import { seededRandom, testSeed } from '../../../helpers/seed';
import { assertNearEach } from '../../../helpers/near';

const { native, skip } = nativeForTests();
const noKernel = skip || (native?.softmax ? false : 'this addon has no softmax (rebuild: node scripts/build-native.mjs)');
// Built for the baseline instruction set alone: what a CPU without AVX2 runs.
const baseline = noKernel ? { native: undefined, skip: noKernel } : baselineNativeForTests();
const BUILDS = [
  { build: 'as built', softmax: () => native!.softmax!, skip: noKernel },
  { build: 'baseline build', softmax: () => baseline.native!.softmax!, skip: baseline.skip },
];

function reference(x: Float32Array, cols: number, scale: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let o = 0; o < x.length; o += cols) {
    const z = Array.from(x.subarray(o, o + cols), (v) => v * scale);
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, v) => a + v, 0);
    e.forEach((v, j) => (y[o + j] = v / sum));
  }
  return y;
}

const SHAPES: [rows: number, cols: number][] = [
  [512, 64],
  [7, 1],
  [9, 3],
  [11, 8],
  [11, 9],
  [5, 17],
];

describe('scaled softmax kernel (native)', { skip: noKernel }, () => {
  after(async () => {
    await selectBackend(['wasm']);
  });

  for (const { build, softmax, skip: buildSkip } of BUILDS)
    test(`${build}: y within float32 rounding of the float64 reference, written at an offset`, { skip: buildSkip }, () => {
      const rand = seededRandom(testSeed('scaled softmax kernel'));
      for (const [rows, cols] of SHAPES)
        for (const spread of [1, 12, 400]) {
          const x = Float32Array.from({ length: rows * cols }, () => (rand() - 0.5) * spread);
          const out = new Float32Array(x.length + 2).fill(7);
          softmax()(x, cols, 0.25, out.subarray(1, 1 + x.length));
          assertNearEach(out.subarray(1, 1 + x.length), reference(x, cols, 0.25), 1e-6, `${rows}×${cols} spread ${spread}`);
          assert.deepEqual([out[0], out[x.length + 1]], [7, 7], 'nothing outside the output is written');
        }
    });

  test('a row holding NaN gives NaN; the other rows are untouched by it', () => {
    const x = Float32Array.from({ length: 3 * 10 }, (_, i) => (i % 10) * 0.5);
    x[14] = NaN;
    const y = new Float32Array(x.length);
    native!.softmax!(x, 10, 1, y);
    assert.ok(y.subarray(10, 20).every(Number.isNaN), `row 1: ${y.subarray(10, 20).join(', ')}`);
    const want = reference(x.subarray(0, 10), 10, 1);
    assertNearEach(y.subarray(0, 10), want, 1e-6, 'row 0');
    assertNearEach(y.subarray(20, 30), want, 1e-6, 'row 2');
  });

  test('the addon checks every length before touching memory', () => {
    const s = native!.softmax!;
    const f = (k: number) => new Float32Array(k);
    s(f(12), 4, 1, f(12)); // fits exactly
    assert.throws(() => s(f(12), 5, 1, f(12)), /RangeError: softmax: x has 12 elements, not whole rows of 5/);
    assert.throws(() => s(f(12), 4, 1, f(11)), /softmax: y has 11 elements, the sizes given need 12/);
    assert.throws(() => s(f(12), 0, 1, f(12)), /softmax: cols/);
    assert.throws(
      () => s(new Float64Array(12) as unknown as Float32Array, 4, 1, f(12)),
      /TypeError: softmax: x must be a Float32Array/,
    );
  });

  test('registered on wasm with the native BLAS only; an addon without it registers nothing', async () => {
    await selectBackend(['wasm'], { native: native! });
    assert.ok(getKernel(SCALED_SOFTMAX, 'wasm'));
    await selectBackend(['wasm']);
    assert.equal(getKernel(SCALED_SOFTMAX, 'wasm'), undefined);
    const { softmax: _, ...older } = native!;
    assert.equal(nativeScaledSoftmaxConfig(older), null);
  });
});
