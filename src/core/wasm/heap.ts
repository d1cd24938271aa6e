// Host storage for optimizer state that the fused WASM kernels can update in
// place: a HostHeap is one WebAssembly.Memory with a small first-fit allocator,
// owned by a compute context (core/context.ts; a device worker's trainer has its own).
// Views go stale when the memory grows, so buffers are handles, not arrays.
import { Body, Op, Simd, encodeModule } from './encoder';

export type HostDtype = 'float32' | 'float64';

export interface HostBuffer {
  readonly dtype: HostDtype;
  readonly length: number;
  /** Byte offset in the wasm heap (heap buffers) or in the array's own buffer. */
  readonly byteOffset: number;
  /** True when the data lives in a wasm heap (the SIMD kernel can use it). */
  readonly inWasmHeap: boolean;
  /** The heap holding the data, for heap buffers (undefined for plain arrays). */
  readonly heap?: HostHeap;
  /** A view of the data. Do not keep it across allocations: the heap may grow. */
  array(): Float32Array | Float64Array;
  /** Returns the memory for reuse; later array() calls throw. Idempotent. */
  free(): void;
}

export interface HeapBuffer extends HostBuffer {
  readonly dtype: 'float32';
  readonly heap: HostHeap;
  array(): Float32Array;
}

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB: the wasm32 address space
const ALIGN = 16; // v128 loads/stores like 16-byte alignment
const RESERVED = 16; // keep offset 0 unused, so no buffer looks like a null pointer

interface Block {
  off: number;
  size: number;
}

/** A WebAssembly.Memory plus a sorted, coalescing free list. */
class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private readonly freeList: Block[] = [];
  private used = 0;

  constructor(initialBytes: number) {
    const pages = Math.max(1, Math.ceil((initialBytes + RESERVED) / PAGE));
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
    this.freeList.push({ off: RESERVED, size: pages * PAGE - RESERVED });
  }

  /** Returns the byte offset of `bytes` zeroed bytes, 16-byte aligned. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let idx = this.findFit(size);
    if (idx < 0) idx = this.grow(size);
    const block = this.freeList[idx];
    const off = block.off;
    if (block.size === size) this.freeList.splice(idx, 1);
    else {
      block.off += size;
      block.size -= size;
    }
    this.used += size;
    new Uint8Array(this.memory.buffer, off, size).fill(0);
    return off;
  }

  release(off: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    this.used -= size;
    this.insertFree(off, size);
  }

  /** Inserts a free block in offset order and merges it with adjacent blocks. */
  private insertFree(off: number, size: number): void {
    const list = this.freeList;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].off < off) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, { off, size });
    // Coalesce with the next block, then with the previous one.
    if (lo + 1 < list.length && off + size === list[lo + 1].off) {
      list[lo].size += list[lo + 1].size;
      list.splice(lo + 1, 1);
    }
    if (lo > 0 && list[lo - 1].off + list[lo - 1].size === off) {
      list[lo - 1].size += list[lo].size;
      list.splice(lo, 1);
    }
  }

  stats(): HeapStats {
    const free = this.freeList.reduce((s, b) => s + b.size, 0);
    return {
      committedBytes: this.memory.buffer.byteLength,
      usedBytes: this.used,
      freeBytes: free,
      freeBlocks: this.freeList.length,
    };
  }

  private findFit(size: number): number {
    for (let i = 0; i < this.freeList.length; i++) if (this.freeList[i].size >= size) return i;
    return -1;
  }

  /** Grows the memory so the trailing free block holds `size`; returns its index. */
  private grow(size: number): number {
    const end = this.memory.buffer.byteLength;
    const last = this.freeList[this.freeList.length - 1];
    const tail = last && last.off + last.size === end ? last.size : 0;
    const curPages = end / PAGE;
    const needPages = Math.ceil((size - tail) / PAGE);
    // Grow by at least 1/8 of the current size, so many small allocations stay cheap.
    let pages = Math.max(needPages, Math.min(Math.ceil(curPages / 8), MAX_PAGES - curPages));
    if (curPages + pages > MAX_PAGES) pages = needPages;
    if (curPages + pages > MAX_PAGES) {
      throw new RangeError(`wasm heap: cannot allocate ${size} bytes (4 GiB limit, ${end} bytes committed)`);
    }
    this.memory.grow(pages);
    this.insertFree(end, pages * PAGE);
    return this.freeList.length - 1;
  }
}

export interface HeapStats {
  committedBytes: number;
  usedBytes: number;
  freeBytes: number;
  freeBlocks: number;
}

class WasmHeapBuffer implements HeapBuffer {
  readonly dtype = 'float32' as const;
  readonly inWasmHeap = true;
  private view: Float32Array;
  private freed = false;

  constructor(
    readonly heap: HostHeap,
    private readonly memory: WasmHeap,
    readonly length: number,
    private readonly offset: number,
  ) {
    this.view = new Float32Array(memory.memory.buffer, offset, length);
  }

  // Throws after free(), so the wasm kernel (which only reads offsets) cannot write freed memory.
  get byteOffset(): number {
    if (this.freed) throw new Error('HeapBuffer used after free()');
    return this.offset;
  }

  // Cached view, re-made only after the memory grew (the old buffer is detached then).
  array(): Float32Array {
    if (this.freed) throw new Error('HeapBuffer used after free()');
    const buf = this.memory.memory.buffer;
    if (this.view.buffer !== buf) this.view = new Float32Array(buf, this.offset, this.length);
    return this.view;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.memory.release(this.offset, this.length * 4);
  }
}

class PlainBuffer implements HostBuffer {
  readonly inWasmHeap = false;
  readonly dtype: HostDtype;
  readonly length: number;
  readonly byteOffset: number;
  private data: Float32Array | Float64Array | null;

  constructor(data: Float32Array | Float64Array) {
    this.data = data;
    this.dtype = data instanceof Float32Array ? 'float32' : 'float64';
    this.length = data.length;
    this.byteOffset = data.byteOffset;
  }

  array(): Float32Array | Float64Array {
    if (this.data === null) throw new Error('HostBuffer used after free()');
    return this.data;
  }

  free(): void {
    this.data = null;
  }
}

/** Whether this runtime has WebAssembly with fixed-width SIMD (probed once, when the module loads). */
export function wasmSimdSupported(): boolean {
  return SIMD_SUPPORTED;
}

const SIMD_SUPPORTED = probeSimd();

function probeSimd(): boolean {
  try {
    // () -> () { v128.const 0; f32x4.sqrt; drop }
    const body = new Body()
      .simd(Simd.v128Const)
      .op(...new Array(16).fill(0))
      .simd(Simd.f32x4Sqrt)
      .op(Op.drop);
    const bytes = encodeModule([{ name: 'f', params: [], results: [], locals: [], body }], false);
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

export interface HostHeapOptions {
  /** false: float32 host storage goes to plain arrays, not the heap (tests and benchmarks compare both). */
  placeInHeap?: boolean;
}

/**
 * Host storage for one compute context: float32 buffers in one WebAssembly.Memory (created on the first
 * allocation) that the fused kernels update in place, and the kernels compiled against that memory.
 */
export class HostHeap {
  readonly placeInHeap: boolean;
  private heap: WasmHeap | null = null;
  private readonly instances = new Map<string, WebAssembly.Exports>();

  constructor(options: HostHeapOptions = {}) {
    this.placeInHeap = options.placeInHeap ?? true;
  }

  /** The heap's memory, or null before the first heap allocation. */
  get memory(): WebAssembly.Memory | null {
    return this.heap?.memory ?? null;
  }

  stats(): HeapStats | null {
    return this.heap?.stats() ?? null;
  }

  /** A float32 buffer in the heap (throws if wasm SIMD is unavailable). */
  allocHeap(length: number): HeapBuffer {
    checkLength(length);
    if (!wasmSimdSupported()) throw new Error('wasm heap: WebAssembly SIMD is not available');
    this.heap ??= new WasmHeap(length * 4);
    return new WasmHeapBuffer(this, this.heap, length, this.heap.alloc(length * 4));
  }

  /**
   * Zeroed host storage for optimizer state. float32 goes into the heap when SIMD wasm is available
   * (so the fused kernel runs in place), else a plain array.
   */
  allocHost(dtype: HostDtype, length: number): HostBuffer {
    checkLength(length);
    if (dtype === 'float32' && this.placeInHeap && wasmSimdSupported()) return this.allocHeap(length);
    return new PlainBuffer(dtype === 'float32' ? new Float32Array(length) : new Float64Array(length));
  }

  /**
   * The exports of the module `bytes()` builds (it imports `env.memory`), bound to this heap's memory:
   * compiled on first use, once per heap (small enough for synchronous compile). Null before the
   * heap's first allocation: no memory to bind yet.
   */
  instance(key: string, bytes: () => Uint8Array<ArrayBuffer>): WebAssembly.Exports | null {
    const memory = this.memory;
    if (memory === null) return null;
    let exports = this.instances.get(key);
    if (exports === undefined) {
      exports = new WebAssembly.Instance(new WebAssembly.Module(bytes()), { env: { memory } }).exports;
      this.instances.set(key, exports);
    }
    return exports;
  }
}

/** Wraps an existing typed array as a (non-heap) HostBuffer, without copying. */
export function plainHostBuffer(data: Float32Array | Float64Array): HostBuffer {
  return new PlainBuffer(data);
}

function checkLength(length: number): void {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`bad buffer length ${length}`);
}
