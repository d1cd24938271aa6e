/**
 * Backend-level helpers for project kernels on wasm: they call the stock wasm kernels directly on
 * TensorInfos (no engine, no tape, no scopes), so a project kernel is one kernel to the engine and
 * every intermediate it makes must be disposed here.
 */
import { getKernel, type DataType, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm that project kernels use. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  /** A view into wasm memory: stale as soon as anything allocates (memory may grow); take it right before use. */
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  /** One more owner of the buffer (an output that shares its input's memory, like Reshape). */
  incRef(dataId: object): void;
}

/** The stock kernels, captured before any project kernel replaces one of them. */
const stock = new Map<string, KernelConfig>();

export function rememberStock(kernelName: string, config: KernelConfig): void {
  if (!stock.has(kernelName)) stock.set(kernelName, config);
}

export function stockKernel(kernelName: string): KernelConfig {
  const k = stock.get(kernelName) ?? getKernel(kernelName, 'wasm');
  if (k === undefined) throw new Error(`project kernels: wasm has no '${kernelName}' kernel`);
  return k;
}

/** Runs a stock wasm kernel on backend-level tensors; the caller owns (and disposes) the output. */
export function run(
  backend: WasmBackend,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const out = stockKernel(kernelName).kernelFunc({ inputs, backend, attrs } as never);
  if (Array.isArray(out)) throw new Error(`project kernels: '${kernelName}' returned several outputs`);
  return out;
}

export function dispose(backend: WasmBackend, ...infos: (TensorInfo | null | undefined)[]): void {
  for (const t of infos) if (t) backend.disposeData(t.dataId);
}

export function reshape(backend: WasmBackend, x: TensorInfo, shape: number[]): TensorInfo {
  return run(backend, 'Reshape', { x }, { shape });
}

/** Swaps the last two axes, materialised (wasm Transpose is fast; transposed matMul is not). */
export function transposeLast2(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  return run(backend, 'Transpose', { x }, { perm });
}

export const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
