// biasReluMaxPool: maxPool(relu(x + b)) fused on wasm for tiling pools, against a reference written here
// (first strict maximum from −∞, relu(NaN) = NaN, relu(−0) = +0; dx = (0 + dy at the window's maximum,
// +0 elsewhere)·step(x + b); db = float64 sums of dx in memory order, rounded once), and against the
// unfused ops (biasRelu then maxPool), bit for bit.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/core/tfjs';
import '../../../src/core/tfjs/gradients';
import { biasReluMaxPool } from '../../../src/core/tfjs/bias-relu-pool';
import { seededRandom, testSeed } from '../../helpers/seed';

type Shape = [number, number, number, number];
interface Case {
  shape: Shape;
  pool: [number, number];
  pad: 'valid' | 'same';
}

function reference(xv: Float32Array, bv: Float32Array, dyv: Float32Array, { shape, pool }: Case) {
  const [N, H, W, C] = shape;
  const [OH, OW] = [H / pool[0], W / pool[1]];
  const relu = (p: number) => (p > 0 ? p : Number.isNaN(p) ? NaN : 0);
  const pre = xv.map((v, i) => Math.fround(v + bv[i % C]!));
  const y = new Float32Array(N * OH * OW * C);
  const hit = new Float32Array(xv.length); // 0 + dy at each window's maximum, +0 elsewhere
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let r = 0; r < pool[0]; r++)
            for (let q = 0; q < pool[1]; q++) {
              const i = ((n * H + oh * pool[0] + r) * W + ow * pool[1] + q) * C + c;
              if (relu(pre[i]!) > best) [best, at] = [relu(pre[i]!), i];
            }
          const o = ((n * OH + oh) * OW + ow) * C + c;
          y[o] = best;
          if (at >= 0) hit[at] = 0 + dyv[o]!;
        }
  const dx = hit.map((h, i) => h * (pre[i]! > 0 ? 1 : Number.isNaN(pre[i]!) ? NaN : 0));
  const db = new Float64Array(C);
  dx.forEach((v, i) => (db[i % C] += v));
  return { y, dx, db: Float32Array.from(db) };
}

function run(xv: Float32Array, bv: Float32Array, dyv: Float32Array, c: Case) {
  return tf.tidy(() => {
    const x = tf.tensor4d(xv, c.shape);
    const b = tf.tensor1d(bv);
    const f = (a: tf.Tensor, bb: tf.Tensor) => biasReluMaxPool(a as tf.Tensor4D, bb, c.pool, c.pool, c.pad);
    const y = f(x, b);
    const dy = tf.tensor(dyv, y.shape);
    const [dx, db] = tf.grads((a: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(a, bb), dy)))([x, b]);
    return { y: y.dataSync(), dx: dx!.dataSync(), db: db!.dataSync() };
  });
}

function same(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `${label}[${i}]: ${got[i]}, reference ${want[i]}`);
}

const CASES: Case[] = [
  { shape: [2, 8, 8, 4], pool: [2, 2], pad: 'valid' },
  { shape: [2, 28, 28, 32], pool: [2, 2], pad: 'same' },
  { shape: [3, 6, 9, 8], pool: [2, 3], pad: 'valid' },
  { shape: [1, 9, 9, 4], pool: [3, 3], pad: 'valid' },
  { shape: [2, 4, 4, 12], pool: [1, 1], pad: 'valid' },
  { shape: [1, 8, 8, 4], pool: [4, 4], pad: 'same' },
];

function data(rand: () => number, c: Case, special: boolean) {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const SPECIAL = [NaN, Infinity, -Infinity, -0, 0];
  // Quantised values: ties within windows are common.
  const pick = () =>
    special && rand() < 0.04 ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : Math.round((rand() - 0.5) * 8) / 4;
  const outN = n / (c.pool[0] * c.pool[1]);
  return {
    xv: new Float32Array(n).map(pick),
    bv: new Float32Array(c.shape[3]).map(pick),
    dyv: new Float32Array(outN).map(() => (rand() < 0.05 ? -0 : rand() - 0.5)),
  };
}

describe('biasReluMaxPool', () => {
  before(async () => {
    const sel = await selectBackend(['wasm']);
    assert.ok(sel.projectKernels.includes('BiasReluMaxPool'));
  });

  test('fused: value and both gradients equal the reference bit for bit (ties, NaN, ±∞, ±0)', () => {
    const rand = seededRandom(testSeed('bias-relu-pool fused'));
    const ids = tf.backend().numDataIds();
    for (const c of CASES) {
      const { xv, bv, dyv } = data(rand, c, true);
      const want = reference(xv, bv, dyv, c);
      const got = run(xv, bv, dyv, c);
      same(got.y, want.y, `[${c.shape}] pool [${c.pool}] y`);
      same(got.dx, want.dx, `[${c.shape}] pool [${c.pool}] dx`);
      same(got.db, want.db, `[${c.shape}] pool [${c.pool}] db`);
    }
    assert.equal(tf.backend().numDataIds(), ids, 'no leak');
  });

  test('the unfused ops (biasRelu, maxPool) give the same bits', () => {
    const rand = seededRandom(testSeed('bias-relu-pool unfused'));
    const cases = CASES.map((c) => ({ c, ...data(rand, c, true) }));
    const fused = cases.map(({ c, xv, bv, dyv }) => run(xv, bv, dyv, c));
    const saved = ['BiasReluMaxPool', 'BiasReluMaxPoolGrad'].map((k) => getKernel(k, 'wasm')!);
    saved.forEach((k) => unregisterKernel(k.kernelName, 'wasm'));
    try {
      cases.forEach(({ c, xv, bv, dyv }, i) => {
        const got = run(xv, bv, dyv, c);
        same(got.y, fused[i]!.y, `unfused [${c.shape}] y`);
        same(got.dx, fused[i]!.dx, `unfused [${c.shape}] dx`);
        same(got.db, fused[i]!.db, `unfused [${c.shape}] db`);
      });
    } finally {
      saved.forEach((k) => registerKernel(k));
    }
  });
});
