/**
 * Layer normalization over the trailing `cols` values of each row, forward and backward in one kernel
 * each (Keras 3's formula, docs/keras-models.md: y = (x − mean)·rsqrt(var + ε)·γ + β, var the biased
 * variance). Unfused, a LayerNormalization is ~10 tfjs ops forward (moments casts, means, squares,
 * broadcasts) and ~20 back, each a kernel dispatch and a full-size temporary; here each row is read
 * twice forward and twice back. Row statistics (in the 8 lanes of lanes.ts) and the γ/β gradients
 * accumulate in float64; the output
 * is rounded in Keras's float32 order (x·inv + (β − mean·inv)), which keeps a Transformer's
 * attention kernels as close to Keras's change as the unfused ops did.
 * The op that uses them is ../layer-norm.ts. With the native addon, the same loops run in C
 * (native/blas/norm.c, vectorised: the same operations in the same order, so the same bits).
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { laneGradSums, laneSum, laneSumSquaredDeviations } from './lanes';
import type { NativeGemm } from './native-gemm';
import { sizeOf, type WasmBackend } from './wasm-ops';

export const LAYER_NORM = 'DtrainLayerNorm';
export const LAYER_NORM_GRAD = 'DtrainLayerNormGrad';

/** y = x·inv + (β − mean·inv), inv = rstd·γ, per row; keeps each row's mean and rstd = 1/√(var + ε) for backward. */
export function layerNormRows(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  eps: number,
  y: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
): void {
  const cols = gamma.length;
  const rows = cols === 0 ? 0 : x.length / cols;
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    const m = laneSum(x, o, cols) / cols;
    const v = laneSumSquaredDeviations(x, o, cols, m);
    const inv = Math.fround(1 / Math.sqrt(v / cols + eps));
    const mf = Math.fround(m);
    // Keras's float32 order: x·(inv·γ) + (β − mean·(inv·γ)), each product and sum rounded.
    for (let j = 0; j < cols; j++) {
      const k = Math.fround(inv * gamma[j]!);
      y[o + j] = Math.fround(x[o + j]! * k) + Math.fround(beta[j]! - Math.fround(mf * k));
    }
    mean[r] = mf;
    rstd[r] = inv;
  }
}

/**
 * With x̂ = (x − mean)·rstd and g = dy·γ: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) per row,
 * dγ = Σ_rows dy·x̂, dβ = Σ_rows dy.
 */
export function layerNormGradRows(
  dy: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  gamma: Float32Array,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const cols = gamma.length;
  const rows = cols === 0 ? 0 : x.length / cols;
  const dg = new Float64Array(cols);
  const db = new Float64Array(cols);
  const sums = new Float64Array(2); // a row's Σ g and Σ g·x̂
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    const m = mean[r]!;
    const inv = rstd[r]!;
    laneGradSums(dy, x, gamma, o, cols, m, inv, sums, dg, db);
    const mg = sums[0]! / cols;
    const mgx = sums[1]! / cols;
    for (let j = 0; j < cols; j++) {
      const xh = (x[o + j]! - m) * inv;
      dx[o + j] = inv * (dy[o + j]! * gamma[j]! - mg - xh * mgx);
    }
  }
  dgamma.set(dg);
  dbeta.set(db);
}

const f32 = (backend: WasmBackend, t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;

/** The two loops a kernel runs: the JavaScript ones above, or the native addon's (same bits, vectorised). */
type NormLoops = { layerNorm: typeof layerNormRows; layerNormGrad: typeof layerNormGradRows };
const JS_LOOPS: NormLoops = { layerNorm: layerNormRows, layerNormGrad: layerNormGradRows };

const forward =
  (loops: NormLoops): KernelFunc =>
  ({ inputs, backend, attrs }) => {
    const be = backend as WasmBackend;
    const { x, gamma, beta } = inputs as Record<string, TensorInfo>;
    const rows = sizeOf(x!.shape) / gamma!.shape[0]!;
    const y = be.makeOutput(x!.shape, 'float32');
    const mean = be.makeOutput([rows], 'float32');
    const rstd = be.makeOutput([rows], 'float32');
    // Views after every makeOutput: an allocation may grow wasm memory and detach older views.
    loops.layerNorm(
      f32(be, x!),
      f32(be, gamma!),
      f32(be, beta!),
      Number(attrs!.epsilon),
      f32(be, y),
      f32(be, mean),
      f32(be, rstd),
    );
    return [y, mean, rstd];
  };

const backward =
  (loops: NormLoops): KernelFunc =>
  ({ inputs, backend }) => {
    const be = backend as WasmBackend;
    const { dy, x, mean, rstd, gamma } = inputs as Record<string, TensorInfo>;
    const dx = be.makeOutput(x!.shape, 'float32');
    const dgamma = be.makeOutput(gamma!.shape, 'float32');
    const dbeta = be.makeOutput(gamma!.shape, 'float32');
    loops.layerNormGrad(
      f32(be, dy!),
      f32(be, x!),
      f32(be, mean!),
      f32(be, rstd!),
      f32(be, gamma!),
      f32(be, dx),
      f32(be, dgamma),
      f32(be, dbeta),
    );
    return [dx, dgamma, dbeta];
  };

export const layerNormConfig: KernelConfig = { kernelName: LAYER_NORM, backendName: 'wasm', kernelFunc: forward(JS_LOOPS) };
export const layerNormGradConfig: KernelConfig = {
  kernelName: LAYER_NORM_GRAD,
  backendName: 'wasm',
  kernelFunc: backward(JS_LOOPS),
};

/** The kernel on the addon's loops (kernels/index.ts NATIVE); an addon without them keeps `fallback`. */
export function nativeLayerNormConfig(native: NativeGemm, fallback: KernelConfig): KernelConfig {
  return native.norm ? { ...fallback, kernelFunc: forward(native.norm) } : fallback;
}

export function nativeLayerNormGradConfig(native: NativeGemm, fallback: KernelConfig): KernelConfig {
  return native.norm ? { ...fallback, kernelFunc: backward(native.norm) } : fallback;
}
