// The layer-norm kernels' two implementations: the native addon's loops (native/blas/norm.c, used on
// wasm with the native BLAS) and the JavaScript ones (wasm without it). Each against a float64
// reference written here from the definition (per row: mean, biased variance, x̂ = (x − mean)/√(var + ε),
// y = x̂·γ + β; backward dx = (g − mean(g) − x̂·mean(g·x̂))/√(var + ε) with g = dy·γ, dγ = Σ dy·x̂,
// dβ = Σ dy), then the two against each other bit for bit (the same operations in the same order).
// tests/core/tfjs/layer-norm.test.ts runs the op on every backend path, gradients included.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getKernel } from '@tensorflow/tfjs-core';
import { selectBackend } from '../../../../src/core/tfjs';
import {
  LAYER_NORM,
  LAYER_NORM_GRAD,
  layerNormConfig,
  layerNormGradConfig,
  layerNormGradRows,
  layerNormRows,
  nativeLayerNormConfig,
} from '../../../../src/core/tfjs/kernels/layer-norm';
import { baselineNativeForTests, nativeForTests } from '../../../helpers/native-blas';
import { seededRandom, testSeed } from '../../../helpers/seed';

const { native, skip } = nativeForTests();
const noNorm = skip || (native?.norm ? false : 'this addon has no layerNorm (rebuild: node scripts/build-native.mjs)');
// Built for the baseline instruction set alone: what a CPU without AVX2 runs.
const baseline = noNorm ? { native: undefined, skip: noNorm } : baselineNativeForTests();

function reference(x: Float32Array, gamma: Float32Array, beta: Float32Array, dy: Float32Array, eps: number) {
  const cols = gamma.length;
  const rows = x.length / cols;
  const y = new Float64Array(x.length);
  // What y's float32 rounding scales with: Keras's order forms x·γ/sd and mean·γ/sd, which cancel.
  const yScale = new Float64Array(x.length);
  // dx's: its terms' sizes, each through x̂, which the kernels form from the float32 mean and 1/sd.
  const dxScale = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dg = new Float64Array(cols);
  const db = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * cols, (r + 1) * cols), Number);
    const mean = row.reduce((s, v) => s + v, 0) / cols;
    const sd = Math.sqrt(row.reduce((s, v) => s + (v - mean) ** 2, 0) / cols + eps);
    const xh = row.map((v) => (v - mean) / sd);
    const g = xh.map((_, j) => dy[r * cols + j]! * gamma[j]!);
    const mg = g.reduce((s, v) => s + v, 0) / cols;
    const mgx = g.reduce((s, v, j) => s + v * xh[j]!, 0) / cols;
    for (let j = 0; j < cols; j++) {
      const k = r * cols + j;
      y[k] = xh[j]! * gamma[j]! + beta[j]!;
      yScale[k] = ((Math.abs(row[j]!) + Math.abs(mean)) * gamma[j]!) / sd + Math.abs(beta[j]!);
      dx[k] = (g[j]! - mg - xh[j]! * mgx) / sd;
      const terms = Math.abs(g[j]!) + Math.abs(mg) + Math.abs(xh[j]! * mgx);
      dxScale[k] = (terms / sd) * (1 + (Math.abs(row[j]!) + Math.abs(mean)) / sd);
      dg[j] += dy[k]! * xh[j]!;
      db[j] += dy[k]!;
    }
  }
  return { y, yScale, dx, dxScale, dg, db };
}

/** |got − want| ≤ tol·(1 + scale), scale |want| unless given per element. */
function near(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string, scale = want): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    assert.ok(err <= tol * (1 + Math.abs(scale[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]} (error ${err})`);
  }
}

/** Runs one implementation's forward and backward; returns every output. */
function run(
  loops: { layerNorm: typeof layerNormRows; layerNormGrad: typeof layerNormGradRows },
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  dy: Float32Array,
  eps: number,
) {
  const rows = x.length / gamma.length;
  const o = {
    y: new Float32Array(x.length),
    mean: new Float32Array(rows),
    rstd: new Float32Array(rows),
    dx: new Float32Array(x.length),
    dg: new Float32Array(gamma.length),
    db: new Float32Array(gamma.length),
  };
  loops.layerNorm(x, gamma, beta, eps, o.y, o.mean, o.rstd);
  loops.layerNormGrad(dy, x, o.mean, o.rstd, gamma, o.dx, o.dg, o.db);
  return o;
}

// Row lengths around the vector widths (2, 3, 7, 8, 17) and the Transformer's 64; rows enough for dγ sums.
const SHAPES: [rows: number, cols: number][] = [
  [2048, 64],
  [33, 2],
  [9, 3],
  [40, 7],
  [16, 8],
  [5, 17],
];
const JS = { layerNorm: layerNormRows, layerNormGrad: layerNormGradRows };
type Loops = typeof JS;
const IMPLS: { impl: string; loops: () => Loops; skip: string | false }[] = [
  { impl: 'JavaScript', loops: () => JS, skip: false },
  { impl: 'native', loops: () => native!.norm!, skip: noNorm },
  { impl: 'native, baseline build', loops: () => baseline.native!.norm!, skip: baseline.skip },
];

describe('layer-norm kernels: native and JavaScript loops', () => {
  after(async () => {
    await selectBackend(['wasm']);
  });

  for (const { impl, loops: loopsOf, skip: implSkip } of IMPLS) {
    test(`${impl}: y, dx, dγ, dβ within float32 rounding of the float64 reference`, { skip: implSkip }, () => {
      const loops = loopsOf();
      const rand = seededRandom(testSeed(`layer-norm kernels ${impl}`));
      for (const [rows, cols] of SHAPES) {
        // An offset mean and a spread that varies per row, so mean and variance both matter.
        const x = Float32Array.from({ length: rows * cols }, (_, i) => 3 + (rand() - 0.5) * (1 + (i % 5)));
        const gamma = Float32Array.from({ length: cols }, () => 0.5 + rand());
        const beta = Float32Array.from({ length: cols }, () => rand() - 0.5);
        const dy = Float32Array.from({ length: rows * cols }, () => rand() - 0.5);
        const got = run(loops, x, gamma, beta, dy, 1e-6);
        const want = reference(x, gamma, beta, dy, 1e-6);
        const what = `${impl} ${rows}×${cols}`;
        near(got.y, want.y, 4e-7, `${what} y`, want.yScale); // a few float32 roundings
        near(got.dx, want.dx, 1e-6, `${what} dx`, want.dxScale);
        near(got.dg, want.dg, 2e-5, `${what} dγ`);
        near(got.db, want.db, 2e-6, `${what} dβ`);
      }
    });
  }

  for (const { impl, loops: loopsOf, skip: implSkip } of IMPLS.slice(1))
    test(
      `${impl} equals JavaScript bit for bit (subarray views at an offset, as wasm-heap views are)`,
      { skip: implSkip },
      () => {
        bitForBit(loopsOf());
      },
    );

  function bitForBit(native: Loops): void {
    const rand = seededRandom(testSeed('layer-norm kernels native vs js'));
    for (const [rows, cols] of SHAPES) {
      const n = rows * cols;
      const pool = Float32Array.from({ length: 2 * n + 2 * cols + 3 }, () => (rand() - 0.5) * 8);
      const x = pool.subarray(1, 1 + n);
      const dy = pool.subarray(1 + n, 1 + 2 * n);
      const gamma = pool.subarray(1 + 2 * n, 1 + 2 * n + cols);
      const beta = pool.subarray(2 + 2 * n + cols, 2 + 2 * n + 2 * cols);
      const a = run(native, x, gamma, beta, dy, 1e-3);
      const b = run(JS, x, gamma, beta, dy, 1e-3);
      for (const k of Object.keys(a) as (keyof typeof a)[]) {
        assert.deepEqual(new Uint32Array(a[k].buffer), new Uint32Array(b[k].buffer), `${rows}×${cols} ${k}`);
      }
    }
  }

  test('the addon checks every length before touching memory', { skip: noNorm }, () => {
    const n = native!.norm!;
    const f = (k: number) => new Float32Array(k);
    n.layerNorm(f(12), f(4), f(4), 1e-3, f(12), f(3), f(3)); // fits exactly
    assert.throws(
      () => n.layerNorm(f(10), f(4), f(4), 1e-3, f(12), f(3), f(3)),
      /RangeError: layerNorm: x has 10 elements, not whole rows of gamma's 4/,
    );
    assert.throws(() => n.layerNorm(f(12), f(0), f(0), 1e-3, f(12), f(3), f(3)), /not whole rows of gamma's 0/);
    assert.throws(
      () => n.layerNorm(f(12), f(4), f(3), 1e-3, f(12), f(3), f(3)),
      /layerNorm: beta has 3 elements, the sizes given need 4/,
    );
    assert.throws(
      () => n.layerNorm(f(12), f(4), f(4), 1e-3, f(11), f(3), f(3)),
      /layerNorm: y has 11 elements, the sizes given need 12/,
    );
    assert.throws(() => n.layerNorm(f(12), f(4), f(4), 1e-3, f(12), f(2), f(3)), /layerNorm: mean has 2 elements/);
    assert.throws(() => n.layerNorm(f(12), f(4), f(4), 1e-3, f(12), f(3), f(2)), /layerNorm: rstd has 2 elements/);
    assert.throws(
      () => n.layerNorm(new Float64Array(12) as unknown as Float32Array, f(4), f(4), 1e-3, f(12), f(3), f(3)),
      /TypeError: layerNorm: x must be a Float32Array/,
    );
    n.layerNormGrad(f(12), f(12), f(3), f(3), f(4), f(12), f(4), f(4)); // fits exactly
    assert.throws(() => n.layerNormGrad(f(11), f(12), f(3), f(3), f(4), f(12), f(4), f(4)), /layerNormGrad: dy has 11 elements/);
    assert.throws(() => n.layerNormGrad(f(12), f(12), f(3), f(3), f(4), f(11), f(4), f(4)), /layerNormGrad: dx has 11 elements/);
    assert.throws(() => n.layerNormGrad(f(12), f(12), f(3), f(2), f(4), f(12), f(4), f(4)), /layerNormGrad: rstd has 2 elements/);
    assert.throws(
      () => n.layerNormGrad(f(12), f(12), f(3), f(3), f(4), f(12), f(3), f(4)),
      /layerNormGrad: dgamma has 3 elements/,
    );
    assert.throws(
      () => n.layerNormGrad(f(12), f(12), f(3), f(3), f(4), f(12), f(4), f(3)),
      /layerNormGrad: dbeta has 3 elements/,
    );
    const loose = n.layerNormGrad as unknown as (...args: unknown[]) => void;
    assert.throws(() => loose(f(12), f(12), f(3), f(3)), /TypeError: layerNormGrad: expected 8 arguments, got 4/);
  });

  test(
    'wasm with the native BLAS registers the native kernels; without it, or with an addon lacking them, the JavaScript ones',
    { skip: noNorm },
    async () => {
      await selectBackend(['wasm'], { native: native! });
      assert.notEqual(getKernel(LAYER_NORM, 'wasm')?.kernelFunc, layerNormConfig.kernelFunc);
      assert.notEqual(getKernel(LAYER_NORM_GRAD, 'wasm')?.kernelFunc, layerNormGradConfig.kernelFunc);
      await selectBackend(['wasm']);
      assert.equal(getKernel(LAYER_NORM, 'wasm')?.kernelFunc, layerNormConfig.kernelFunc);
      assert.equal(getKernel(LAYER_NORM_GRAD, 'wasm')?.kernelFunc, layerNormGradConfig.kernelFunc);
      const { norm: _, ...older } = native!;
      assert.equal(nativeLayerNormConfig(older, layerNormConfig), layerNormConfig);
    },
  );
});
