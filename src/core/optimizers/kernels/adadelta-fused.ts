// Fused, in-place Adadelta updates with exact Keras float semantics (docs/adadelta-kernels.md).
// float32: the WASM SIMD kernel when all state lives in one wasm heap, else a JS
// loop that rounds every operation with Math.fround (bit-identical to the wasm).
// float64: plain JS, with lr rounded to float32 (Keras keeps lr in a float32 variable).
import { adadeltaKernel } from './adadelta-wasm';
import type { HeapBuffer, HostBuffer, HostHeap } from '../../wasm/heap';
import type { CopyMeter } from '../../metering/copy-meter';
import { denseF32, denseF64, sparseF32, sparseF64 } from './adadelta-loops';
import { float32Constants, type AdadeltaScalars } from '../adadelta-rule';

type Grad = HostBuffer | Float32Array | Float64Array;

// Elements per wasm call, so byte offsets/counts stay inside the i32 range.
const WASM_CALL_ELEMENTS = 1 << 28;
// 16k floats (64 KiB, with the state's 3 x 64 KiB in flight) stays within L2 on current x86 cores.
const STAGING_ELEMENTS = 1 << 14;

export interface DenseKernelOptions {
  /** false forces the JS fround loop (jit_compile off); results are bit-identical either way. */
  simd?: boolean;
}

export interface FusedAdadeltaOptions {
  /** Elements per wasm call (tests split calls; the real limit is only reached above 1 GiB). */
  wasmCallElements?: number;
  /** Elements per staged piece of a gradient outside the heap (tests and benchmarks vary it). */
  stagingElements?: number;
}

/**
 * The fused kernels with their working memory: the scratch a gradient outside the heap is staged
 * through, and the sparse update's row marks. One per optimizer (its owner's), so nothing is shared
 * between optimizers; the copies into the scratch are counted on `copies`.
 */
export class FusedAdadelta {
  private scratch: HeapBuffer | null = null;
  // Row → 1 + position in `rows` (0 = no gradient); grown as needed, reset after each call.
  private rowMark = new Int32Array(0);
  private readonly wasmCall: number;
  private readonly staging: number;

  constructor(
    private readonly copies: CopyMeter,
    options: FusedAdadeltaOptions = {},
  ) {
    this.wasmCall = positive(options.wasmCallElements) ?? WASM_CALL_ELEMENTS;
    this.staging = positive(options.stagingElements) ?? STAGING_ELEMENTS;
  }

  /** Dense update of v, Eg (accumulated_grad), Ed (accumulated_delta_var) by g, in place. */
  dense(v: HostBuffer, eg: HostBuffer, ed: HostBuffer, g: Grad, s: AdadeltaScalars, options?: DenseKernelOptions): void {
    const n = checkState(v, eg, ed);
    if (g.length !== n) throw new RangeError(`adadelta: gradient has ${g.length} elements, variable ${n}`);
    const heap = sharedHeap(v, eg, ed);
    if (v.dtype === 'float64') {
      denseF64(v.array() as Float64Array, eg.array() as Float64Array, ed.array() as Float64Array, gArray(g), s);
    } else if (options?.simd !== false && heap) {
      const at = heapOffsetOf(g, heap);
      if (at >= 0) this.updateWasm(heap, 'dense', v, eg, ed, at, 0, n, s);
      else this.denseWasmStaged(heap, v, eg, ed, gArray(g), n, s);
    } else {
      denseF32(v.array() as Float32Array, eg.array() as Float32Array, ed.array() as Float32Array, gArray(g), s);
    }
  }

  /**
   * Keras's sparse update for de-duplicated `rows`, in one pass over all rows: every row's Eg and Ed
   * decay; rows without a gradient get delta = -0, so v keeps its value. float32 state in one wasm
   * heap: the WASM SIMD kernel over the rows scattered into a zeroed heap buffer (~5x the JS loop on
   * an Embedding table; same bits, docs/adadelta-kernels.md); else the JS loop.
   */
  sparse(
    v: HostBuffer,
    eg: HostBuffer,
    ed: HostBuffer,
    rows: Int32Array,
    values: Float32Array | Float64Array,
    rowSize: number,
    s: AdadeltaScalars,
    options?: DenseKernelOptions,
  ): void {
    const n = checkState(v, eg, ed);
    if (!Number.isInteger(rowSize) || rowSize <= 0 || n % rowSize !== 0) {
      throw new RangeError(`adadelta: rowSize ${rowSize} does not divide ${n} elements`);
    }
    if (values.length !== rows.length * rowSize) {
      throw new RangeError(`adadelta: ${values.length} values for ${rows.length} rows of ${rowSize}`);
    }
    const mark = this.markRows(rows, n / rowSize);
    const heap = v.dtype === 'float32' && options?.simd !== false ? sharedHeap(v, eg, ed) : null;
    try {
      if (heap) {
        this.sparseWasm(heap, v, eg, ed, mark, values, rowSize, s);
      } else if (v.dtype === 'float64') {
        sparseF64(v.array() as Float64Array, eg.array() as Float64Array, ed.array() as Float64Array, mark, values, rowSize, s);
      } else {
        sparseF32(v.array() as Float32Array, eg.array() as Float32Array, ed.array() as Float32Array, mark, values, rowSize, s);
      }
    } finally {
      for (let k = 0; k < rows.length; k++) mark[rows[k]!] = 0; // rows were validated by markRows
    }
  }

  /** Frees the gradient scratch (it keeps the largest size seen); the next staged call re-creates it. */
  releaseScratch(): void {
    this.scratch?.free();
    this.scratch = null;
  }

  /**
   * A gradient outside the heap is copied in piece by piece, each piece updated before the next is
   * copied: the piece is still in cache when the kernel reads it, so the copy costs little more than
   * reading the gradient once (a whole-array copy first made the public API path ~1.5x slower than
   * the kernel on 10M elements), and the scratch stays small.
   */
  private denseWasmStaged(
    heap: HostHeap,
    v: HostBuffer,
    eg: HostBuffer,
    ed: HostBuffer,
    g: Float32Array | Float64Array,
    n: number,
    s: AdadeltaScalars,
  ): void {
    const size = Math.min(n, this.staging);
    if (this.scratch === null || this.scratch.heap !== heap || this.scratch.length < size) {
      this.scratch?.free();
      this.scratch = heap.allocHeap(size);
    }
    const scratch = this.scratch;
    for (let start = 0; start < n; start += size) {
      const len = Math.min(size, n - start);
      // set() casts float64 to float32; the view is taken after any heap growth above.
      scratch.array().set(start === 0 && len === g.length ? g : g.subarray(start, start + len));
      this.updateWasm(heap, 'dense', v, eg, ed, scratch.byteOffset, start, len, s);
    }
    this.copies.count('kernel', n * 4);
  }

  /**
   * The sparse update through the WASM kernel, a piece of whole rows at a time: the piece's marked
   * rows scattered into a zeroed heap scratch (staging-sized, so it stays in cache), then one kernel
   * pass over the piece.
   */
  private sparseWasm(
    heap: HostHeap,
    v: HostBuffer,
    eg: HostBuffer,
    ed: HostBuffer,
    mark: Int32Array,
    values: Float32Array | Float64Array,
    rowSize: number,
    s: AdadeltaScalars,
  ): void {
    const numRows = v.length / rowSize;
    const pieceRows = Math.max(1, Math.floor(this.staging / rowSize));
    const scratch = this.scratchOf(heap, Math.min(numRows, pieceRows) * rowSize);
    const piece = scratch.array(); // taken after any heap growth above; nothing allocates below
    for (let first = 0; first < numRows; first += pieceRows) {
      const end = Math.min(numRows, first + pieceRows);
      piece.fill(0, 0, (end - first) * rowSize);
      for (let row = first; row < end; row++) {
        const from = (mark[row]! - 1) * rowSize;
        if (from < 0) continue;
        // set() casts float64 values to float32, as the JS loop's reads round them.
        piece.set(values.subarray(from, from + rowSize), (row - first) * rowSize);
      }
      this.updateWasm(heap, 'scattered', v, eg, ed, scratch.byteOffset, first * rowSize, (end - first) * rowSize, s);
    }
    this.copies.count('kernel', values.length * 4);
  }

  /** The heap scratch with room for `size` floats (kept, grown when needed). */
  private scratchOf(heap: HostHeap, size: number): HeapBuffer {
    if (this.scratch === null || this.scratch.heap !== heap || this.scratch.length < size) {
      this.scratch?.free();
      this.scratch = heap.allocHeap(size);
    }
    return this.scratch;
  }

  /**
   * Updates elements [at, at + n) of the state; the gradient's piece starts at byte `gOff` (dense),
   * or is the rows scattered into a zeroed buffer there (scattered).
   */
  private updateWasm(
    heap: HostHeap,
    form: 'dense' | 'scattered',
    v: HostBuffer,
    eg: HostBuffer,
    ed: HostBuffer,
    gOff: number,
    at: number,
    n: number,
    s: AdadeltaScalars,
  ): void {
    const kernel = adadeltaKernel(heap, form);
    const c = float32Constants(s);
    for (let start = 0; start < n; start += this.wasmCall) {
      const b = (at + start) * 4;
      const len = Math.min(this.wasmCall, n - start);
      kernel(
        v.byteOffset + b,
        eg.byteOffset + b,
        ed.byteOffset + b,
        gOff + start * 4,
        len,
        c.rho,
        c.oneMinusRho,
        c.epsilon,
        c.lr,
        c.rhoMinusOne,
      );
    }
  }

  private markRows(rows: Int32Array, numRows: number): Int32Array {
    if (this.rowMark.length < numRows) this.rowMark = new Int32Array(Math.max(numRows, this.rowMark.length * 2));
    const mark = this.rowMark;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k]!;
      if (row < 0 || row >= numRows || mark[row] !== 0) {
        for (let j = 0; j < k; j++) mark[rows[j]!] = 0;
        throw new RangeError(`adadelta: row index ${row} is out of range [0, ${numRows}) or repeated`);
      }
      mark[row] = k + 1;
    }
    return mark;
  }
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? Math.floor(n) : undefined;
}

/** The heap all three state buffers live in, or null (the WASM kernel reads one memory). */
function sharedHeap(v: HostBuffer, eg: HostBuffer, ed: HostBuffer): HostHeap | null {
  const heap = v.inWasmHeap ? v.heap : undefined;
  return heap !== undefined && eg.heap === heap && ed.heap === heap && eg.inWasmHeap && ed.inWasmHeap ? heap : null;
}

function isHost(g: Grad): g is HostBuffer {
  return !ArrayBuffer.isView(g);
}

/**
 * Byte offset of g in `heap`, or -1: a buffer of that heap, or a Float32Array viewing its memory (a
 * worker lands its gradients there, so the kernel reads them where they are).
 */
function heapOffsetOf(g: Grad, heap: HostHeap): number {
  if (isHost(g)) return g.inWasmHeap && g.heap === heap ? g.byteOffset : -1;
  return g instanceof Float32Array && g.buffer === heap.memory?.buffer ? g.byteOffset : -1;
}

function gArray(g: Grad): Float32Array | Float64Array {
  return isHost(g) ? g.array() : g;
}

/** Common checks; returns the element count. */
function checkState(v: HostBuffer, eg: HostBuffer, ed: HostBuffer): number {
  if (eg.dtype !== v.dtype || ed.dtype !== v.dtype) throw new TypeError('adadelta: state dtypes differ');
  if (eg.length !== v.length || ed.length !== v.length) throw new RangeError('adadelta: state lengths differ');
  return v.length;
}
