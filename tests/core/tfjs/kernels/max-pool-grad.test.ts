// MaxPoolGrad on wasm (SIMD and JS paths) against a float64 reference written here: each window's dy
// goes to its first maximal input (row-major, strict '>', NaN never wins), sums in float64, one rounding.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import '../../../../src/core/tfjs/gradients';
import { seededRandom, testSeed } from '../../../helpers/seed';

type Pad = 'valid' | 'same';
interface Case {
  shape: [number, number, number, number];
  pool: [number, number];
  strides: [number, number];
  pad: Pad;
}

function reference(x: Float32Array, dy: Float32Array, c: Case): Float32Array {
  const info = tf.backend_util.computePool2DInfo(c.shape, c.pool, c.strides, 1, c.pad);
  const [N, H, W, C] = c.shape;
  const acc = new Float64Array(x.length);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < info.outHeight; oh++)
      for (let ow = 0; ow < info.outWidth; ow++)
        for (let ch = 0; ch < C; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let r = oh * c.strides[0] - info.padInfo.top; r < oh * c.strides[0] - info.padInfo.top + c.pool[0]; r++)
            for (let q = ow * c.strides[1] - info.padInfo.left; q < ow * c.strides[1] - info.padInfo.left + c.pool[1]; q++) {
              if (r < 0 || r >= H || q < 0 || q >= W) continue;
              const i = ((n * H + r) * W + q) * C + ch;
              if (x[i] > best) [best, at] = [x[i], i];
            }
          if (at >= 0) acc[at] += dy[((n * info.outHeight + oh) * info.outWidth + ow) * C + ch];
        }
  return Float32Array.from(acc);
}

/** Quantised values (many ties), with some NaN, −∞ and −0 among them. */
function input(rand: () => number, n: number, special: boolean): Float32Array {
  return new Float32Array(n).map(() => {
    const u = rand();
    if (special && u < 0.03) return [NaN, -Infinity, -0][Math.floor(u * 100)];
    return Math.round(rand() * 6) / 2 - 1;
  });
}

function check(c: Case, rand: () => number, label: string): void {
  const size = c.shape.reduce((a, b) => a * b, 1);
  const xv = input(rand, size, true);
  tf.tidy(() => {
    const x = tf.tensor4d(xv, c.shape);
    const y = tf.maxPool(x, c.pool, c.strides, c.pad);
    const dyv = new Float32Array(y.size).map(() => (rand() < 0.05 ? -0 : rand() * 2 - 1));
    const dx = tf
      .engine()
      .runKernel(
        'MaxPoolGrad',
        { dy: tf.tensor(dyv, y.shape), input: x, output: y },
        { filterSize: c.pool, strides: c.strides, pad: c.pad },
      ) as tf.Tensor;
    assert.deepEqual(dx.shape, c.shape);
    const got = dx.dataSync() as Float32Array;
    const want = reference(xv, dyv, c);
    for (let i = 0; i < size; i++)
      assert.ok(Object.is(got[i], want[i]), `${label} ${JSON.stringify(c)} dx[${i}]: ${got[i]}, reference ${want[i]}`);
  });
}

describe('MaxPoolGrad on wasm equals the float64 reference bit for bit', () => {
  before(async () => {
    const sel = await selectBackend(['wasm']);
    assert.ok(sel.projectKernels.includes('MaxPoolGrad'));
  });

  test('fixed shapes: tiling, odd sizes, same padding, stride > pool, overlapping windows, 1–12 channels', () => {
    const rand = seededRandom(testSeed('max-pool-grad fixed'));
    const cases: Case[] = [
      { shape: [2, 8, 8, 8], pool: [2, 2], strides: [2, 2], pad: 'valid' }, // tiles: unrolled SIMD
      { shape: [3, 9, 6, 4], pool: [3, 3], strides: [3, 3], pad: 'same' }, // tiles (no padding needed)
      { shape: [1, 10, 8, 4], pool: [5, 4], strides: [5, 4], pad: 'valid' }, // tiles, too big to unroll
      { shape: [2, 7, 9, 4], pool: [2, 2], strides: [2, 2], pad: 'valid' }, // last row/col in no window
      { shape: [1, 7, 5, 12], pool: [2, 2], strides: [2, 2], pad: 'same' }, // clipped windows
      { shape: [2, 9, 9, 4], pool: [2, 3], strides: [3, 4], pad: 'same' }, // stride > pool
      { shape: [2, 7, 7, 8], pool: [3, 3], strides: [2, 2], pad: 'same' }, // overlapping: JS float64 path
      { shape: [1, 6, 5, 4], pool: [2, 3], strides: [1, 1], pad: 'valid' },
      { shape: [3, 5, 6, 3], pool: [2, 2], strides: [2, 2], pad: 'valid' }, // channels not in fours: JS path
      { shape: [1, 4, 4, 1], pool: [4, 4], strides: [1, 1], pad: 'valid' },
    ];
    for (const c of cases) check(c, rand, 'fixed');
  });

  test('random shapes, pools, strides and padding', () => {
    const rand = seededRandom(testSeed('max-pool-grad random'));
    const pick = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    for (let t = 0; t < 40; t++) {
      const pool: [number, number] = [pick(1, 3), pick(1, 3)];
      const shape: [number, number, number, number] = [
        pick(1, 3),
        pick(pool[0], 11),
        pick(pool[1], 11),
        [1, 3, 4, 5, 8, 16][pick(0, 5)],
      ];
      check({ shape, pool, strides: [pick(1, 3), pick(1, 3)], pad: rand() < 0.5 ? 'valid' : 'same' }, rand, `random #${t}`);
    }
  });

  test('the gradient of tf.maxPool runs it and leaks nothing', () => {
    const rand = seededRandom(testSeed('max-pool-grad tape'));
    const c: Case = { shape: [2, 6, 6, 4], pool: [2, 2], strides: [2, 2], pad: 'valid' };
    const xv = input(rand, 2 * 6 * 6 * 4, false);
    const ids = tf.backend().numDataIds();
    const got = tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) => tf.sum(tf.maxPool(x as tf.Tensor4D, c.pool, c.strides, c.pad)))(tf.tensor4d(xv, c.shape))
        .dataSync(),
    );
    const want = reference(xv, new Float32Array(2 * 3 * 3 * 4).fill(1), c);
    assert.deepEqual(Array.from(got), Array.from(want));
    assert.equal(tf.backend().numDataIds(), ids);
  });
});
