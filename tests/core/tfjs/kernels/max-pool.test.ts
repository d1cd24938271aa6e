// MaxPool on wasm against tfjs-cpu's rule written here: the first maximum by strict '>' from −∞ (NaN
// never wins, an all-NaN window gives −∞). Tiling pools take the project SIMD loop (NaN included);
// the others stay with stock XNNPACK, checked on NaN-free inputs (stock lets a NaN blank a window).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import { seededRandom, testSeed } from '../../../helpers/seed';

type Shape = [number, number, number, number];

function reference(
  x: Float32Array,
  shape: Shape,
  pool: [number, number],
  strides: [number, number],
  pad: 'valid' | 'same',
): Float32Array {
  const info = tf.backend_util.computePool2DInfo(shape, pool, strides, 1, pad);
  const [N, H, W, C] = shape;
  const out = new Float32Array(N * info.outHeight * info.outWidth * C);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < info.outHeight; oh++)
      for (let ow = 0; ow < info.outWidth; ow++)
        for (let ch = 0; ch < C; ch++) {
          let best = -Infinity;
          for (let r = oh * strides[0] - info.padInfo.top; r < oh * strides[0] - info.padInfo.top + pool[0]; r++)
            for (let q = ow * strides[1] - info.padInfo.left; q < ow * strides[1] - info.padInfo.left + pool[1]; q++) {
              if (r < 0 || r >= H || q < 0 || q >= W) continue;
              const v = x[((n * H + r) * W + q) * C + ch];
              if (v > best) best = v;
            }
          out[o++] = best;
        }
  return out;
}

function check(
  rand: () => number,
  shape: Shape,
  pool: [number, number],
  strides: [number, number],
  pad: 'valid' | 'same',
  special: boolean,
): void {
  const xv = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => {
    const u = rand();
    if (special && u < 0.05) return [NaN, -Infinity, -0, 0, NaN][Math.floor(u * 100)];
    return Math.round(rand() * 8) / 4 - 1; // ties
  });
  const got = tf.tidy(() => tf.maxPool(tf.tensor4d(xv, shape), pool, strides, pad).dataSync());
  const want = reference(xv, shape, pool, strides, pad);
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Object.is(got[i], want[i]),
      `[${shape}] pool [${pool}] strides [${strides}] ${pad} y[${i}]: ${got[i]}, reference ${want[i]}`,
    );
}

describe('MaxPool on wasm', () => {
  before(async () => {
    const sel = await selectBackend(['wasm']);
    assert.ok(sel.projectKernels.includes('MaxPool'));
  });

  test('tiling pools (SIMD): random shapes, 1×1 to 4×4, NaN/−∞/±0 and ties', () => {
    const rand = seededRandom(testSeed('max-pool tiling'));
    const pick = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
    for (let t = 0; t < 25; t++) {
      const pool: [number, number] = [pick(1, 4), pick(1, 4)];
      const shape: Shape = [pick(1, 3), pool[0] * pick(1, 5), pool[1] * pick(1, 5), 4 * pick(1, 5)];
      check(rand, shape, pool, pool, rand() < 0.5 ? 'valid' : 'same', true);
    }
  });

  test('other geometries (stock kernel): odd sizes, same padding, overlap, channels not in fours', () => {
    const rand = seededRandom(testSeed('max-pool stock'));
    check(rand, [2, 7, 9, 4], [2, 2], [2, 2], 'valid', false);
    check(rand, [2, 7, 9, 8], [2, 2], [2, 2], 'same', false);
    check(rand, [1, 8, 8, 4], [3, 3], [2, 2], 'same', false);
    check(rand, [2, 8, 8, 3], [2, 2], [2, 2], 'valid', false);
    check(rand, [1, 10, 5, 4], [5, 5], [5, 5], 'valid', false); // tiles, but 25 positions: beyond the unrolled size
  });
});
