// Fused, in-place Adadelta updates with exact Keras float semantics (spec §8).
// float32: the WASM SIMD kernel when all state lives in the wasm heap, else a JS
// loop that rounds every operation with Math.fround (bit-identical to the wasm).
// float64: plain JS, with lr rounded to float32 (Keras keeps lr in a float32 variable).
import { adadeltaKernel } from './adadelta-wasm';
import { allocHeapBuffer, wasmHeapMemory, type HeapBuffer, type HostBuffer } from '../../wasm/heap';
import { countCopy } from '../../metering/copy-meter';
import { denseF32, denseF64, sparseF32, sparseF64 } from './adadelta-loops';
import { float32Constants, type AdadeltaScalars } from '../adadelta-rule';

type Grad = HostBuffer | Float32Array | Float64Array;

// Elements per wasm call, so byte offsets/counts stay inside the i32 range.
let chunk = 1 << 28;

let gScratch: HeapBuffer | null = null;
// 16k floats (64 KiB, with the state's 3 x 64 KiB in flight) stays within L2 on current x86 cores.
const DEFAULT_STAGING = 1 << 14;
let staging = DEFAULT_STAGING;

export interface DenseKernelOptions {
  /** false forces the JS fround loop (jit_compile off); results are bit-identical either way. */
  simd?: boolean;
}

/** Dense update of v, Eg (accumulated_grad), Ed (accumulated_delta_var) by g, in place. */
export function adadeltaDense(
  v: HostBuffer,
  eg: HostBuffer,
  ed: HostBuffer,
  g: Grad,
  s: AdadeltaScalars,
  options?: DenseKernelOptions,
): void {
  const n = checkState(v, eg, ed);
  if (g.length !== n) throw new RangeError(`adadelta: gradient has ${g.length} elements, variable ${n}`);
  if (v.dtype === 'float64') {
    denseF64(v.array() as Float64Array, eg.array() as Float64Array, ed.array() as Float64Array, gArray(g), s);
  } else if (options?.simd !== false && v.inWasmHeap && eg.inWasmHeap && ed.inWasmHeap) {
    const at = heapOffsetOf(g);
    if (at >= 0) denseWasm(v, eg, ed, at, 0, n, s);
    else denseWasmStaged(v, eg, ed, gArray(g), n, s);
  } else {
    denseF32(v.array() as Float32Array, eg.array() as Float32Array, ed.array() as Float32Array, gArray(g), s);
  }
}

function isHost(g: Grad): g is HostBuffer {
  return !ArrayBuffer.isView(g);
}

/**
 * Byte offset of g in the heap, or -1: a heap buffer, or a Float32Array viewing the heap's memory (a
 * worker lands its gradients there, so the kernel reads them where they are).
 */
function heapOffsetOf(g: Grad): number {
  if (isHost(g)) return g.inWasmHeap ? g.byteOffset : -1;
  return g instanceof Float32Array && g.buffer === wasmHeapMemory()?.buffer ? g.byteOffset : -1;
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

/**
 * A gradient outside the heap is copied in piece by piece, each piece updated before the next is
 * copied: the piece is still in cache when the kernel reads it, so the copy costs little more than
 * reading the gradient once (a whole-array copy first made the public API path ~1.5x slower than
 * the kernel on 10M elements), and the scratch stays small.
 */
function denseWasmStaged(
  v: HostBuffer,
  eg: HostBuffer,
  ed: HostBuffer,
  g: Float32Array | Float64Array,
  n: number,
  s: AdadeltaScalars,
): void {
  const size = Math.min(n, staging);
  if (gScratch === null || gScratch.length < size) {
    gScratch?.free();
    gScratch = allocHeapBuffer(size);
  }
  for (let start = 0; start < n; start += size) {
    const len = Math.min(size, n - start);
    // set() casts float64 to float32; the view is taken after any heap growth above.
    gScratch.array().set(start === 0 && len === g.length ? g : g.subarray(start, start + len));
    denseWasm(v, eg, ed, gScratch.byteOffset, start, len, s);
  }
  countCopy('kernel', n * 4);
}

/** Frees the cached gradient scratch (it keeps the largest size seen); the next call re-creates it. */
export function releaseKernelScratch(): void {
  gScratch?.free();
  gScratch = null;
}

/** Test hook: split wasm calls into smaller pieces (the real limit is only hit above 1 GiB). */
export function setWasmChunkElements(n: number): void {
  chunk = n > 0 ? Math.floor(n) : 1 << 28;
}

/** Test and benchmark hook: elements per staged piece of a gradient outside the heap (0: default). */
export function setGradStagingElements(n: number): void {
  staging = n > 0 ? Math.floor(n) : DEFAULT_STAGING;
}

/** Updates elements [at, at + n) of the state; the gradient's piece starts at byte `gOff`. */
function denseWasm(v: HostBuffer, eg: HostBuffer, ed: HostBuffer, gOff: number, at: number, n: number, s: AdadeltaScalars): void {
  const kernel = adadeltaKernel(wasmHeapMemory()!);
  const c = float32Constants(s);
  for (let start = 0; start < n; start += chunk) {
    const b = (at + start) * 4;
    const len = Math.min(chunk, n - start);
    kernel(v.byteOffset + b, eg.byteOffset + b, ed.byteOffset + b, gOff + start * 4, len, c.rho, c.oneMinusRho, c.epsilon, c.lr);
  }
}

// Row → 1 + position in `rows` (0 = no gradient); grown as needed, reset after each call.
let rowMark = new Int32Array(0);

/**
 * Keras's sparse update (spec §8) for de-duplicated `rows`, in one pass over all rows:
 * every row's Eg and Ed decay; rows without a gradient get delta = -0, so v keeps its value.
 */
export function adadeltaSparse(
  v: HostBuffer,
  eg: HostBuffer,
  ed: HostBuffer,
  rows: Int32Array,
  values: Float32Array | Float64Array,
  rowSize: number,
  s: AdadeltaScalars,
): void {
  const n = checkState(v, eg, ed);
  if (!Number.isInteger(rowSize) || rowSize <= 0 || n % rowSize !== 0) {
    throw new RangeError(`adadelta: rowSize ${rowSize} does not divide ${n} elements`);
  }
  if (values.length !== rows.length * rowSize) {
    throw new RangeError(`adadelta: ${values.length} values for ${rows.length} rows of ${rowSize}`);
  }
  const numRows = n / rowSize;
  markRows(rows, numRows);
  try {
    if (v.dtype === 'float64') {
      sparseF64(v.array() as Float64Array, eg.array() as Float64Array, ed.array() as Float64Array, rowMark, values, rowSize, s);
    } else {
      sparseF32(v.array() as Float32Array, eg.array() as Float32Array, ed.array() as Float32Array, rowMark, values, rowSize, s);
    }
  } finally {
    for (let k = 0; k < rows.length; k++) rowMark[rows[k]] = 0; // rows were validated by markRows
  }
}

function markRows(rows: Int32Array, numRows: number): void {
  if (rowMark.length < numRows) rowMark = new Int32Array(Math.max(numRows, rowMark.length * 2));
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k];
    if (row < 0 || row >= numRows || rowMark[row] !== 0) {
      for (let j = 0; j < k; j++) rowMark[rows[j]] = 0;
      throw new RangeError(`adadelta: row index ${row} is out of range [0, ${numRows}) or repeated`);
    }
    rowMark[row] = k + 1;
  }
}
