/**
 * BatchMatMul and _FusedMatMul through a native sgemm (OpenBLAS, AVX2+FMA) instead of XNNPACK-in-wasm
 * (~13 GFLOP/s here: wasm SIMD has no fused multiply-add). Transposes are sgemm flags, never
 * materialised; batch dims run one sgemm per batch entry on views of wasm memory. _FusedMatMul's
 * epilogue (bias, activation) runs through the stock wasm kernels: a memory pass, not worth native code.
 * Shapes outside what this handles (non-float32, empty, batch dims that neither match nor are 1) go to
 * `fallback`, the kernel that would be registered without native BLAS.
 */
import { broadcast_util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeGemm } from './native-gemm';
import { dispose, run, sizeOf, type WasmBackend } from './wasm-ops';

interface MatMulAttrs {
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

/** a·b (with transposes) into a new output, or null when `fallback` must handle it. */
export function nativeMatMul(
  native: NativeGemm,
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  ta: boolean,
  tb: boolean,
): TensorInfo | null {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || ra < 2 || rb < 2) return null;
  const M = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const K = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const K2 = tb ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const N = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const batchA = sizeOf(a.shape.slice(0, -2));
  const batchB = sizeOf(b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  // Leave the stock kernel's error messages (inner sizes, broadcasting) and its empty-shape cases to it.
  if (K !== K2 || M * N * K === 0 || (batchA !== batchB && batchA !== 1 && batchB !== 1)) return null;
  let outer: number[];
  try {
    outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    return null;
  }
  if (sizeOf(outer) !== batch) return null;
  const out = backend.makeOutput([...outer, M, N], 'float32');
  // Views after makeOutput: an allocation may grow wasm memory and detach older views.
  const av = backend.typedArrayFromHeap(a) as Float32Array;
  const bv = backend.typedArrayFromHeap(b) as Float32Array;
  const cv = backend.typedArrayFromHeap(out) as Float32Array;
  const lda = ta ? M : K;
  const ldb = tb ? K : N;
  for (let i = 0; i < batch; i++) {
    const ao = batchA === 1 ? 0 : i * M * K;
    const bo = batchB === 1 ? 0 : i * K * N;
    const A = batch === 1 ? av : av.subarray(ao, ao + M * K);
    const B = batch === 1 ? bv : bv.subarray(bo, bo + K * N);
    const C = batch === 1 ? cv : cv.subarray(i * M * N, (i + 1) * M * N);
    native.sgemm(ta, tb, M, N, K, 1, A, lda, B, ldb, 0, C, N);
  }
  return out;
}

/** _FusedMatMul's activations → the stock wasm kernel and attrs that apply them. */
function activationKernel(
  attrs: MatMulAttrs,
  prelu: TensorInfo | undefined,
): [string, Record<string, TensorInfo>, NamedAttrMap] | null | 'unknown' {
  switch (attrs.activation ?? 'linear') {
    case 'linear':
      return null;
    case 'relu':
      return ['Relu', {}, {}];
    case 'relu6':
      return ['Relu6', {}, {}];
    case 'elu':
      return ['Elu', {}, {}];
    case 'sigmoid':
      return ['Sigmoid', {}, {}];
    case 'leakyrelu':
      return ['LeakyRelu', {}, { alpha: attrs.leakyreluAlpha ?? 0.2 }];
    case 'prelu':
      return prelu ? ['Prelu', { alpha: prelu }, {}] : 'unknown';
    default:
      return 'unknown';
  }
}

export function nativeMatMulConfig(native: NativeGemm, fallback: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const backend = args.backend as WasmBackend;
    const attrs = (args.attrs ?? {}) as NamedAttrMap & MatMulAttrs;
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const act = activationKernel(attrs, preluActivationWeights);
    if (act === 'unknown') return fallback.kernelFunc(args);
    const product = nativeMatMul(native, backend, a!, b!, !!attrs.transposeA, !!attrs.transposeB);
    if (product === null) return fallback.kernelFunc(args);
    let out = product;
    if (bias) {
      out = run(backend, 'Add', { a: product, b: bias });
      dispose(backend, product);
    }
    if (act !== null) {
      const [kernel, extra, actAttrs] = act;
      const activated = run(backend, kernel, { x: out, ...extra }, actAttrs);
      dispose(backend, out);
      out = activated;
    }
    return out;
  };
  return {
    kernelName: fallback.kernelName,
    backendName: 'wasm',
    setupFunc: fallback.setupFunc,
    disposeFunc: fallback.disposeFunc,
    kernelFunc,
  };
}
