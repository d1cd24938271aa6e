// The depthwise convolution's two gradients on wasm (project kernels: stock wasm has neither) against
// float64 sums written here, over strides, paddings and channel multipliers: the gradients of
// DepthwiseConv2D, SeparableConv2D and depthwise Conv1D layers (MobileNet, Xception, EfficientNet).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import '../../../../src/core/tfjs/gradients';
import { seededRandom, testSeed } from '../../../helpers/seed';

interface Case {
  x: [number, number, number, number];
  k: [number, number];
  mult: number;
  strides: [number, number];
  pad: 'valid' | 'same';
}

/** dx and dW of Σ dy·depthwise(x, W) in float64, straight from the definition. */
function reference(x: Float32Array, w: Float32Array, dy: Float32Array, c: Case) {
  const [N, H, W, C] = c.x;
  const [FH, FW] = c.k;
  const M = c.mult;
  const info = tf.backend_util.computeConv2DInfo(c.x, [FH, FW, C, M], c.strides, 1, c.pad, undefined, true);
  const { outHeight: OH, outWidth: OW } = info;
  const { top, left } = info.padInfo;
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let i = 0; i < FH; i++)
          for (let j = 0; j < FW; j++) {
            const h = oh * c.strides[0] + i - top;
            const v = ow * c.strides[1] + j - left;
            if (h < 0 || h >= H || v < 0 || v >= W) continue;
            for (let ch = 0; ch < C; ch++)
              for (let m = 0; m < M; m++) {
                const g = dy[((n * OH + oh) * OW + ow) * C * M + ch * M + m]!;
                const xi = ((n * H + h) * W + v) * C + ch;
                const wi = ((i * FW + j) * C + ch) * M + m;
                dx[xi]! += g * w[wi]!;
                dw[wi]! += g * x[xi]!;
              }
          }
  return { dx, dw };
}

const CASES: Case[] = [
  { x: [2, 7, 6, 3], k: [3, 3], mult: 1, strides: [1, 1], pad: 'same' },
  { x: [2, 7, 6, 3], k: [3, 3], mult: 1, strides: [2, 2], pad: 'same' },
  { x: [1, 9, 9, 4], k: [3, 3], mult: 2, strides: [2, 2], pad: 'valid' },
  { x: [3, 5, 8, 2], k: [2, 1], mult: 3, strides: [1, 2], pad: 'same' },
  { x: [2, 1, 12, 5], k: [1, 3], mult: 1, strides: [1, 1], pad: 'valid' }, // a Conv1D as 2D
];

describe('depthwise convolution gradients on wasm', () => {
  before(async () => {
    const b = await selectBackend(['wasm']);
    assert.equal(b.name, 'wasm', 'the wasm backend loads in tests');
  });
  const seed = testSeed('depthwise-backprop');
  for (const c of CASES) {
    test(`x [${c.x}], kernel [${c.k}]×${c.mult}, strides [${c.strides}], ${c.pad}: dx and dW equal float64 sums`, () => {
      const rand = seededRandom(seed + c.x[1] * 31 + c.mult);
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const xv = Float32Array.from({ length: size(c.x) }, () => rand() * 2 - 1);
      const wv = Float32Array.from({ length: c.k[0] * c.k[1] * c.x[3] * c.mult }, () => rand() * 2 - 1);
      const got = tf.tidy(() => {
        const x = tf.tensor4d(xv, c.x);
        const w = tf.tensor4d(wv, [c.k[0], c.k[1], c.x[3], c.mult]);
        const y = tf.depthwiseConv2d(x, w, c.strides, c.pad);
        const dyv = Float32Array.from({ length: y.size }, () => rand() * 2 - 1);
        const dy = tf.tensor(dyv, y.shape);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad),
        )([x, w], dy);
        return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array, dyv };
      });
      const want = reference(xv, wv, got.dyv, c);
      for (const [name, g, r] of [
        ['dx', got.dx, want.dx],
        ['dW', got.dw, want.dw],
      ] as const)
        r.forEach((v, i) =>
          assert.ok(Math.abs(g[i]! - v) <= 2e-6 * Math.max(1, Math.abs(v)) * 8, `${name}[${i}] = ${g[i]}, float64 ${v}`),
        );
    });
  }
});
