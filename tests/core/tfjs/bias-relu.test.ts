// biasRelu (fused on wasm, add + relu elsewhere) against a reference written here: out = relu(fround(x + b))
// with relu(NaN) = NaN and relu(−0) = +0 (tfjs-cpu's rule; stock wasm's vectorised Relu turns NaN into 0,
// so the unfused wasm path is checked without NaN); d/dx = dy·step(x + b); d/db = float64 column sums of
// d/dx, rounded once. Where stock Sum runs (few rows, not fused) db is a float32 sum: within rounding.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../src/core/tfjs';
import '../../../src/core/tfjs/gradients';
import { biasRelu } from '../../../src/core/tfjs/bias-relu';
import { seededRandom, testSeed } from '../../helpers/seed';

const SPECIAL = [NaN, Infinity, -Infinity, -0, 0];

function reference(xv: Float32Array, bv: Float32Array, dyv: Float32Array) {
  const c = bv.length;
  const out = new Float32Array(xv.length);
  const dx = new Float32Array(xv.length);
  const db = new Float64Array(c);
  for (let i = 0; i < xv.length; i++) {
    const pre = Math.fround(xv[i] + bv[i % c]);
    out[i] = pre > 0 ? pre : Number.isNaN(pre) ? NaN : 0;
    dx[i] = dyv[i] * (pre > 0 ? 1 : Number.isNaN(pre) ? NaN : 0);
    db[i % c] += dx[i];
  }
  return { out, dx, db: Float32Array.from(db) };
}

function run(xv: Float32Array, shape: number[], bv: Float32Array, dyv: Float32Array) {
  return tf.tidy(() => {
    const x = tf.tensor(xv, shape);
    const b = tf.tensor(bv, [bv.length]);
    const dy = tf.tensor(dyv, shape);
    const out = biasRelu(x, b).dataSync();
    const [dx, db] = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(biasRelu(a, c), dy)))([x, b]);
    return { out, dx: dx!.dataSync(), db: db!.dataSync() };
  });
}

function same(got: ArrayLike<number>, want: ArrayLike<number>, label: string, tol = 0): void {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < want.length; i++) {
    const ok = Object.is(got[i], want[i]) || (tol > 0 && Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])));
    assert.ok(ok, `${label}[${i}]: ${got[i]}, reference ${want[i]}`);
  }
}

function data(rand: () => number, shape: number[], c: number, special = true) {
  const n = shape.reduce((a, b) => a * b, 1);
  const pick = () => (special && rand() < 0.05 ? SPECIAL[Math.floor(rand() * SPECIAL.length)] : (rand() - 0.5) * 4);
  const xv = new Float32Array(n).map(pick);
  const bv = new Float32Array(c).map(pick);
  // dy finite, so that dx = dy·step is exact and NaN comes from x + b only.
  const dyv = new Float32Array(n).map(() => (rand() - 0.5) * 2);
  return { xv, bv, dyv };
}

const rowsOf = (shape: number[]) => shape.slice(0, -1).reduce((a, b) => a * b, 1);

const SHAPES: number[][] = [
  [256, 512],
  [3, 7, 5, 32],
  [2, 5, 3, 4],
  [9, 12],
  [5, 10],
  [3, 3, 3],
  [1, 1, 8],
];

describe('biasRelu', () => {
  before(async () => {
    const sel = await selectBackend(['wasm']);
    assert.ok(sel.projectKernels.includes('BiasRelu') && sel.projectKernels.includes('BiasReluGrad'));
  });

  test('wasm: value and both gradients equal the reference bit for bit (fused when C is whole v128s)', () => {
    const rand = seededRandom(testSeed('bias-relu wasm'));
    const ids = tf.backend().numDataIds();
    for (const shape of SHAPES) {
      const { xv, bv, dyv } = data(rand, shape, shape[shape.length - 1]!);
      const want = reference(xv, bv, dyv);
      const got = run(xv, shape, bv, dyv);
      same(got.out, want.out, `[${shape}] out`);
      same(got.dx, want.dx, `[${shape}] dx`);
      const fused = shape[shape.length - 1]! % 4 === 0;
      same(got.db, want.db, `[${shape}] db`, fused || rowsOf(shape) >= 64 ? 0 : 1e-4);
    }
    assert.equal(tf.backend().numDataIds(), ids, 'no leak');
  });

  test('the same without the fused kernels (add + relu) and on the cpu backend', async () => {
    const rand = seededRandom(testSeed('bias-relu unfused'));
    const cases = SHAPES.map((shape) => ({ shape, ...data(rand, shape, shape[shape.length - 1]!, false) }));
    const [k1, k2] = [getKernel('BiasRelu', 'wasm')!, getKernel('BiasReluGrad', 'wasm')!];
    unregisterKernel('BiasRelu', 'wasm');
    unregisterKernel('BiasReluGrad', 'wasm');
    try {
      for (const c of cases) {
        const want = reference(c.xv, c.bv, c.dyv);
        const got = run(c.xv, c.shape, c.bv, c.dyv);
        same(got.out, want.out, `unfused [${c.shape}] out`);
        same(got.dx, want.dx, `unfused [${c.shape}] dx`);
        same(got.db, want.db, `unfused [${c.shape}] db`, rowsOf(c.shape) >= 64 ? 0 : 1e-4); // wasm's Sum: float64 from 64 rows
      }
    } finally {
      registerKernel(k1);
      registerKernel(k2);
    }
    await tf.setBackend('cpu');
    try {
      for (const shape of SHAPES) {
        const c = { shape, ...data(rand, shape, shape[shape.length - 1]!) };
        const want = reference(c.xv, c.bv, c.dyv);
        const got = run(c.xv, c.shape, c.bv, c.dyv);
        same(got.out, want.out, `cpu [${c.shape}] out`);
        same(got.dx, want.dx, `cpu [${c.shape}] dx`);
        const finite = want.db.every(Number.isFinite);
        if (finite) same(got.db, want.db, `cpu [${c.shape}] db`, 1e-4);
      }
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
