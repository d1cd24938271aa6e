/**
 * One memory for the optimizer and the model step: with the wasm backend, the optimizer's heap
 * buffers (core/optimizers/kernels/wasm-heap.ts) can be blocks of tfjs-wasm's own memory. A
 * parameter's storage is then also a tensor forward reads as it is: the fused kernel updates it in
 * place and no step uploads it again. Each block is a backend tensor (not an engine tensor) that the
 * heap owns; aliases are engine tensors of the same data, which keep the block alive until disposed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useHeapSource, type HeapSource, type HostBuffer } from '../optimizers/kernels/wasm-heap';

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmBackendHeap {
  wasm: { asm?: { memory?: WebAssembly.Memory }; HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
}

export class TfjsHeap implements HeapSource {
  used = 0;
  private readonly blocks = new Map<number, object>();

  constructor(private readonly backend: WasmBackendHeap, readonly memory: WebAssembly.Memory) {}

  alloc(bytes: number): number {
    // At least one element: every block needs its own offset (the map's key).
    const info = this.backend.makeOutput([Math.max(1, Math.ceil(bytes / 4))], 'float32');
    const offset = this.offsetOf(info);
    if (offset === 0) {
      // tfjs-wasm's growable malloc returns 0 when the memory cannot grow; nothing checks it there.
      this.backend.disposeData(info.dataId);
      throw new RangeError(`wasm heap: cannot allocate ${bytes} bytes in the backend's memory (${this.memory.buffer.byteLength} bytes committed, 4 GiB at most)`);
    }
    new Uint8Array(this.memory.buffer, offset, bytes).fill(0); // tfjs's malloc does not zero
    this.blocks.set(offset, info.dataId);
    this.used += bytes;
    return offset;
  }

  release(offset: number, bytes: number): void {
    const dataId = this.blocks.get(offset);
    if (dataId === undefined) return;
    this.blocks.delete(offset);
    this.used -= bytes;
    this.backend.disposeData(dataId); // freed now, or when the last alias is disposed
  }

  /** An engine tensor of `shape` over the block at `offset` (no copy), or null if it is not one of ours. */
  alias(offset: number, shape: readonly number[]): tf.Tensor | null {
    const dataId = this.blocks.get(offset);
    if (dataId === undefined) return null;
    this.backend.incRef(dataId); // the engine's dispose gives this reference back
    return tf.engine().makeTensorFromDataId(dataId as never, [...shape], 'float32', this.backend as never);
  }

  private offsetOf(info: tf.TensorInfo): number {
    const data = (this.backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(info.dataId);
    return data.memoryOffset;
  }
}

let shared: TfjsHeap | null = null;

/**
 * Makes the optimizer's heap buffers blocks of the active wasm backend's memory, so parameters can be
 * resident (residentTensor). Returns why not, or null when done: the backend is not wasm, or the
 * optimizer's own heap already holds buffers (a kernel call must not mix two memories).
 */
export function shareBackendHeap(): string | null {
  if (tf.getBackend() !== 'wasm') return `the backend is ${tf.getBackend()}, not wasm`;
  const backend = tf.backend() as unknown as WasmBackendHeap;
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || memory.buffer !== backend.wasm.HEAPU8.buffer) return 'this tfjs-backend-wasm build does not expose its memory';
  if (shared?.memory !== memory) shared = new TfjsHeap(backend, memory);
  return useHeapSource(shared) ? null : 'the optimizer heap already holds buffers';
}

/** Gives later buffers this module's own heap again (refused, false, while shared buffers live). */
export function unshareBackendHeap(): boolean {
  return useHeapSource(null);
}

/**
 * A tensor of `shape` whose data is `buffer` itself (no copy; the caller disposes it), or null
 * when the buffer is not in the shared backend heap. The tensor sees every in-place update.
 */
export function residentTensor(buffer: HostBuffer, shape: readonly number[]): tf.Tensor | null {
  if (!shared || !buffer.inWasmHeap || tf.getBackend() !== 'wasm') return null;
  if (buffer.length !== shape.reduce((a, b) => a * b, 1)) throw new RangeError(`residentTensor: ${buffer.length} values for shape [${shape}]`);
  return shared.alias(buffer.byteOffset, shape);
}
