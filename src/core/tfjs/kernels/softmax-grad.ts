/**
 * The gradient of y = softmax(scale·x) over each row's last `cols` values in one kernel:
 * dx = scale·(p − Σp·y), p = dy·y. Unfused that is tfjs's softmax gradient (a Mul, a Sum, a Mul and a
 * Sub, each a pass and a temporary over the attention's [batch, heads, t, s] probabilities) and the
 * logits' scale's Mul. It runs in the native addon (native/blas/softmax.c: products and differences
 * rounded to float32 as those ops round them, the row sum in float64 over the lanes of lanes.h), so
 * it is registered only with it: a JavaScript loop was slower than the five wasm ops it replaces
 * (~2 ms against ~1.2 ms over the bench Transformer's 524k probabilities), so without the addon the
 * op (../softmax.ts) keeps tfjs's ops.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeGemm } from './native-gemm';
import { sizeOf, type WasmBackend } from './wasm-ops';

export const SOFTMAX_GRAD = 'DtrainSoftmaxGrad';

const f32 = (backend: WasmBackend, t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;

/** The kernel on the addon's loop, or null when the addon has none (one built before it). */
export function nativeSoftmaxGradConfig(native: NativeGemm): KernelConfig | null {
  const loop = native.softmaxGrad;
  if (!loop) return null;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const be = backend as WasmBackend;
    const { dy, y } = inputs as Record<string, TensorInfo>;
    const dx = be.makeOutput(y!.shape, 'float32');
    // Views after makeOutput: an allocation may grow wasm memory and detach older views.
    if (sizeOf(y!.shape) > 0) loop(f32(be, dy!), f32(be, y!), y!.shape[y!.shape.length - 1]!, Number(attrs!.scale), f32(be, dx));
    return dx;
  };
  return { kernelName: SOFTMAX_GRAD, backendName: 'wasm', kernelFunc };
}
