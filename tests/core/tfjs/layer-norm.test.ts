// layerNorm (one fused kernel each way on wasm with the project kernels, tfjs's moments and elementwise
// ops elsewhere) against a float64 reference written here from the definition: per row, mean, the biased
// variance, y = (x − mean)/√(var + ε)·γ + β; the gradients of Σ y·w by the chain rule through mean and
// variance (dx), Σ_rows w·x̂ (dγ) and Σ_rows w (dβ). Every path a user lands on: wasm with the native
// BLAS, wasm without it, stock wasm (project kernels off), cpu.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '../../../src/core/tfjs/gradients';
import { selectBackend, unregisterProjectKernels } from '../../../src/core/tfjs';
import { layerNorm } from '../../../src/core/tfjs/layer-norm';
import { nativeForTests } from '../../helpers/native-blas';
import { seededRandom, testSeed } from '../../helpers/seed';
import { assertNearEach } from '../../helpers/near';

interface Case {
  shape: number[];
  axes: number[];
  eps: number;
  affine: boolean;
}

/** Float64 forward and gradients of Σ y·w, x viewed as rows × the normalized trailing values. */
function reference(x: Float32Array, g: Float32Array, b: Float32Array, w: Float32Array, cols: number, eps: number) {
  const rows = x.length / cols;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dg = new Float64Array(cols);
  const db = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * cols, (r + 1) * cols), Number);
    const mean = row.reduce((s, v) => s + v, 0) / cols;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / cols;
    const sd = Math.sqrt(variance + eps);
    const xhat = row.map((v) => (v - mean) / sd);
    // dL/dx̂ = w·γ; through x̂ = (x − mean)/sd with mean and var functions of the row:
    const dxhat = xhat.map((_, j) => w[r * cols + j]! * g[j]!);
    const sumD = dxhat.reduce((s, v) => s + v, 0);
    const sumDX = dxhat.reduce((s, v, j) => s + v * xhat[j]!, 0);
    for (let j = 0; j < cols; j++) {
      const k = r * cols + j;
      y[k] = xhat[j]! * g[j]! + b[j]!;
      dx[k] = (dxhat[j]! - sumD / cols - (xhat[j]! * sumDX) / cols) / sd;
      dg[j] += w[k]! * xhat[j]!;
      db[j] += w[k]!;
    }
  }
  return { y, dx, dg, db };
}

const { native, skip: noBlas } = nativeForTests();
const paths = [
  { name: 'wasm+blas', backend: 'wasm' as const, project: true, native: true, fused: true, skip: noBlas },
  { name: 'wasm', backend: 'wasm' as const, project: true, native: false, fused: true, skip: false as const },
  { name: 'wasm stock kernels', backend: 'wasm' as const, project: false, native: false, fused: false, skip: false as const },
  { name: 'cpu', backend: 'cpu' as const, project: false, native: false, fused: false, skip: false as const },
];

const CASES: Case[] = [
  { shape: [32, 16, 64], axes: [2], eps: 1e-6, affine: true }, // the Transformer's
  { shape: [5, 7], axes: [1], eps: 1e-3, affine: true },
  { shape: [3, 4, 6], axes: [1, 2], eps: 1e-3, affine: true }, // two trailing axes: one row of 24
  { shape: [6, 9], axes: [1], eps: 1e-3, affine: false }, // center and scale off
  { shape: [4, 5, 3], axes: [1], eps: 1e-3, affine: true }, // not trailing: always the unfused ops
];

describe('layerNorm against a float64 reference', () => {
  after(async () => {
    await selectBackend(['wasm']);
  });

  for (const path of paths) {
    test(`${path.name}: values and gradients (x, γ, β) within float32 rounding`, { skip: path.skip }, async () => {
      await selectBackend([path.backend], { projectKernels: path.project, ...(path.native ? { native: native! } : {}) });
      if (!path.project) unregisterProjectKernels();
      const rand = seededRandom(testSeed(`layer norm ${path.name}`));
      for (const c of CASES) {
        const size = c.shape.reduce((a, n) => a * n, 1);
        const normShape = c.axes.map((a) => c.shape[a]!);
        const cols = normShape.reduce((a, n) => a * n, 1);
        // An offset mean and a spread that varies per row, so mean and variance both matter.
        const x = Float32Array.from({ length: size }, (_, i) => 3 + (rand() - 0.5) * (1 + (i % 5)));
        const w = Float32Array.from({ length: size }, () => rand() - 0.5);
        const gv = c.affine ? Float32Array.from({ length: cols }, () => 0.5 + rand()) : new Float32Array(cols).fill(1);
        const bv = c.affine ? Float32Array.from({ length: cols }, () => rand() - 0.5) : new Float32Array(cols);
        const broadcast = c.shape.map((n, i) => (c.axes.includes(i) ? n : 1));
        const trailing = c.axes.every((a, i) => a === c.shape.length - c.axes.length + i);
        const got = tf.tidy(() => {
          const xt = tf.tensor(x, c.shape);
          const wt = tf.tensor(w, c.shape);
          const gt = tf.tensor(gv, normShape);
          const bt = tf.tensor(bv, normShape);
          const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
            c.affine ? layerNorm(a, c.axes, c.eps, broadcast, g, b) : layerNorm(a, c.axes, c.eps, broadcast);
          const y = f(xt, gt, bt).dataSync();
          const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), wt));
          const [dx, dg, db] = c.affine ? tf.grads(loss)([xt, gt, bt]) : [tf.grad((a: tf.Tensor) => loss(a, gt, bt))(xt), gt, bt];
          return { y, dx: dx!.dataSync(), dg: dg!.dataSync(), db: db!.dataSync() };
        });
        if (!trailing) continue; // the reference views rows as trailing values; the op's fallback is checked below
        const want = reference(x, gv, bv, w, cols, c.eps);
        const what = `${path.name} ${JSON.stringify(c)}`;
        assertNearEach(got.y, want.y, 2e-5, `${what} y`);
        assertNearEach(got.dx, want.dx, 2e-4, `${what} dx`);
        if (c.affine) {
          assertNearEach(got.dg, want.dg, 2e-4, `${what} dγ`);
          assertNearEach(got.db, want.db, 2e-5, `${what} dβ`);
        }
      }
    });
  }

  test('wasm: the fused kernels run for trailing axes, the tfjs ops for others, with the same values', async () => {
    await selectBackend(['wasm']);
    const rand = seededRandom(testSeed('layer norm dispatch'));
    const x = tf.tensor(
      Float32Array.from({ length: 4 * 5 * 3 }, () => rand() * 4 - 2),
      [4, 5, 3],
    );
    const kernelsOf = async (f: () => tf.Tensor) => (await tf.profile(f)).kernels.map((k) => k.name);
    const last = await kernelsOf(() => layerNorm(x, [2], 1e-3, [1, 1, 3]));
    assert.ok(last.includes('DtrainLayerNorm'), last.join(','));
    const middle = await kernelsOf(() => layerNorm(x, [1], 1e-3, [1, 5, 1]));
    assert.ok(!middle.includes('DtrainLayerNorm') && middle.includes('Mean'), middle.join(','));
    // Axis 1 of x equals axis 2 of x transposed: the fused and unfused results agree.
    const viaFused = tf.transpose(layerNorm(tf.transpose(x, [0, 2, 1]), [2], 1e-3, [1, 1, 5]), [0, 2, 1]);
    assertNearEach(layerNorm(x, [1], 1e-3, [1, 5, 1]).dataSync(), viaFused.dataSync(), 1e-5, 'fused vs unfused');
    tf.dispose([x, viaFused]);
  });

  test('wasm: γ and β of one axis reach the fused kernel without a Reshape; of two axes, flattened', async () => {
    await selectBackend(['wasm']);
    const rand = seededRandom(testSeed('layer norm reshapes'));
    const values = (n: number) => Float32Array.from({ length: n }, () => rand() - 0.5);
    const x = tf.tensor(values(2 * 4 * 6), [2, 4, 6]);
    const [g1, b1] = [tf.tensor(values(6), [6]), tf.tensor(values(6), [6])];
    const [g2, b2] = [tf.tensor(values(24), [4, 6]), tf.tensor(values(24), [4, 6])];
    const reshapes = async (f: () => tf.Tensor) => (await tf.profile(f)).kernels.filter((k) => k.name === 'Reshape').length;
    assert.equal(await reshapes(() => layerNorm(x, [2], 1e-3, [1, 1, 6], g1, b1)), 0);
    assert.equal(await reshapes(() => layerNorm(x, [1, 2], 1e-3, [1, 4, 6], g2, b2)), 2);
    tf.dispose([x, g1, b1, g2, b2]);
  });
});
