/**
 * The gradient of y = softmax(scale·x) over each row's last `cols` values in one kernel:
 * dx = scale·(p − Σp·y), p = dy·y. Unfused that is tfjs's softmax gradient (a Mul, a Sum, a Mul and a
 * Sub, each a pass and a temporary over the attention's [batch, heads, t, s] probabilities) and the
 * logits' scale's Mul. Products and differences are rounded to float32 as those ops round them; the
 * row sum is float64 (in the 8 lanes of lanes.ts). With the native addon the same loop runs in C (native/blas/softmax.c, same bits).
 * The op that uses it is ../softmax.ts.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { LANES, lanesTotal } from './lanes';
import type { NativeGemm } from './native-gemm';
import { sizeOf, type WasmBackend } from './wasm-ops';

export const SOFTMAX_GRAD = 'DtrainSoftmaxGrad';

/** dx = scale·(p − Σp·y) per row of `cols`, p = dy·y (`scale` is used as its float32 value). */
export function softmaxGradRows(dy: Float32Array, y: Float32Array, cols: number, scale: number, dx: Float32Array): void {
  const sc = Math.fround(scale);
  const r = Math.fround;
  const acc = new Float64Array(LANES);
  for (let o = 0; o < y.length; o += cols) {
    acc.fill(0);
    for (let j = 0; j < cols; j++) acc[j & 7]! += r(dy[o + j]! * y[o + j]!);
    const sf = r(lanesTotal(acc));
    for (let j = o; j < o + cols; j++) dx[j] = sc * r(r(dy[j]! * y[j]!) - r(sf * y[j]!)); // the store rounds the last product
  }
}

type GradLoop = (dy: Float32Array, y: Float32Array, cols: number, scale: number, dx: Float32Array) => void;

const f32 = (backend: WasmBackend, t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;

const kernel =
  (loop: GradLoop): KernelFunc =>
  ({ inputs, backend, attrs }) => {
    const be = backend as WasmBackend;
    const { dy, y } = inputs as Record<string, TensorInfo>;
    const dx = be.makeOutput(y!.shape, 'float32');
    if (sizeOf(y!.shape) > 0) loop(f32(be, dy!), f32(be, y!), y!.shape[y!.shape.length - 1]!, Number(attrs!.scale), f32(be, dx));
    return dx;
  };

export const softmaxGradConfig: KernelConfig = {
  kernelName: SOFTMAX_GRAD,
  backendName: 'wasm',
  kernelFunc: kernel(softmaxGradRows),
};

/** The kernel on the addon's loop (kernels/index.ts NATIVE); an addon without it keeps `fallback`. */
export function nativeSoftmaxGradConfig(native: NativeGemm, fallback: KernelConfig): KernelConfig {
  return native.softmaxGrad ? { ...fallback, kernelFunc: kernel(native.softmaxGrad) } : fallback;
}
