/**
 * y = softmax(scale·x) over each row's last `cols` values in one kernel: the attention's logits' scale
 * and softmax, in the native addon (native/blas/softmax.c: a vectorised exp, the row sum in float64).
 * Stock wasm ran them as a Mul and a Softmax (~0.1 and ~0.7 ms over the bench Transformer's 524k
 * logits). Registered only with the addon; elsewhere the op (../softmax.ts) keeps tfjs's two ops.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeGemm } from './native-gemm';
import { sizeOf, type WasmBackend } from './wasm-ops';

export const SCALED_SOFTMAX = 'DtrainScaledSoftmax';

/** The kernel on the addon's loop, or null when the addon has none (one built before it). */
export function nativeScaledSoftmaxConfig(native: NativeGemm): KernelConfig | null {
  const loop = native.softmax;
  if (!loop) return null;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const be = backend as WasmBackend;
    const { x } = inputs as { x: TensorInfo };
    const y = be.makeOutput(x.shape, 'float32');
    // Views after makeOutput: an allocation may grow wasm memory and detach older views.
    const f32 = (t: TensorInfo) => be.typedArrayFromHeap(t) as Float32Array;
    if (sizeOf(x.shape) > 0) loop(f32(x), x.shape[x.shape.length - 1]!, Number(attrs!.scale), f32(y));
    return y;
  };
  return { kernelName: SCALED_SOFTMAX, backendName: 'wasm', kernelFunc };
}
