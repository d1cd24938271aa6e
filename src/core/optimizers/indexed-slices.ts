import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '../errors';
import type { FloatArray } from '../variables/sharded-variable';
import type { HostHeap } from '../wasm/heap';
import { sumDividedInHeap } from './kernels/sum-divided-wasm';

export type { FloatArray };

/**
 * A sparse gradient: rows `indices` (along axis 0 of a tensor of `denseShape`) with the given `values`
 * (indices.length × rowSize). As in TensorFlow, indices may repeat; the optimizer sums duplicates.
 * Values and indices may be tfjs tensors or host arrays (the worker data path uses host arrays).
 */
export class IndexedSlices {
  readonly values: tf.Tensor | FloatArray;
  readonly indices: tf.Tensor | Int32Array | readonly number[];
  readonly denseShape: readonly number[];

  constructor(
    values: tf.Tensor | FloatArray,
    indices: tf.Tensor | Int32Array | readonly number[],
    denseShape: readonly number[],
  ) {
    this.values = values;
    this.indices = indices;
    this.denseShape = [...denseShape];
  }
}

/** Host view of a sparse gradient in a variable's local coordinates. */
export interface HostSparse {
  rows: Int32Array;
  values: FloatArray;
  rowSize: number;
}

export function rowSizeOf(denseShape: readonly number[]): number {
  return denseShape.slice(1).reduce((a, b) => a * b, 1);
}

/** Reads an IndexedSlices into host arrays, checking that its shapes agree. */
export function sparseToHost(slices: IndexedSlices, dtype: 'float32' | 'float64'): HostSparse {
  const rowSize = rowSizeOf(slices.denseShape);
  const rows = Int32Array.from(
    slices.indices instanceof tf.Tensor ? (slices.indices.dataSync() as ArrayLike<number>) : slices.indices,
  );
  const raw = slices.values instanceof tf.Tensor ? (slices.values.dataSync() as Float32Array) : slices.values;
  const values = dtype === 'float64' ? Float64Array.from(raw) : raw instanceof Float32Array ? raw : Float32Array.from(raw);
  if (values.length !== rows.length * rowSize) {
    throw new ValueError(
      `IndexedSlices values hold ${values.length} elements but ${rows.length} indices × row size ${rowSize} ` +
        `(dense shape [${slices.denseShape.join(', ')}]) need ${rows.length * rowSize}.`,
    );
  }
  const numRows = slices.denseShape[0] ?? 1;
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= numRows) {
      throw new ValueError(`IndexedSlices index ${r} is out of range for dense shape [${slices.denseShape.join(', ')}].`);
    }
  }
  return { rows, values, rowSize };
}

/** Where each id's row goes when duplicates are summed: the unique ids in order of first appearance, and each row's slot. */
interface DedupePlan {
  unique: Int32Array;
  slots: Int32Array;
}

/** The plan for `rows`, or null when no id repeats (the rows stay as they are). */
function dedupePlan(rows: Int32Array): DedupePlan | null {
  let maxRow = -1;
  for (const r of rows) if (r > maxRow) maxRow = r;
  // Row ids index a table (sparseToHost checked them): a slot array, not a Map, per id.
  const slotOf = new Int32Array(maxRow + 1).fill(-1);
  const unique = new Int32Array(rows.length);
  let count = 0;
  const slots = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (slotOf[r] === -1) {
      slotOf[r] = count;
      unique[count++] = r;
    }
    slots[i] = slotOf[r]!;
  }
  return count === rows.length ? null : { unique: unique.slice(0, count), slots };
}

/**
 * Keras's sparse de-duplication: unique indices in order of first appearance, each with the sum of
 * its rows (the order of summation is the order of appearance, as unsorted_segment_sum does).
 */
export function deduplicateSparse(sparse: HostSparse): HostSparse {
  const { rows, values, rowSize } = sparse;
  const plan = dedupePlan(rows);
  if (plan === null) return sparse;
  const size = plan.unique.length * rowSize;
  const summed =
    values instanceof Float32Array
      ? sumRows(values, new Float32Array(size), plan.slots, rowSize)
      : sumRows(values, new Float64Array(size), plan.slots, rowSize);
  return { rows: plan.unique, values: summed, rowSize };
}

/**
 * deduplicateSparse of the rows divided by `total`, in one pass and with the same bits as dividing
 * first (each quotient rounded to the values' type) and summing after: the step's mean over the
 * global batch, without a divided copy of every row that the optimizer would then sum again.
 */
export function deduplicateDivided(sparse: HostSparse, total: number, heap?: HostHeap): HostSparse {
  const { rows, values, rowSize } = sparse;
  const plan = dedupePlan(rows);
  if (plan === null) return { rows, values: dividedValues(values, total), rowSize };
  const size = plan.unique.length * rowSize;
  let summed: FloatArray;
  if (values instanceof Float32Array) {
    summed = new Float32Array(size);
    // The heap's SIMD kernel where it can (same bits, sum-divided-wasm.ts), else the JS loop.
    if (!heap || !sumDividedInHeap(heap, values, summed, plan.slots, rowSize, total))
      sumDividedF32(values, summed, plan.slots, rowSize, total);
  } else {
    summed = sumDividedF64(values, new Float64Array(size), plan.slots, rowSize, total);
  }
  return { rows: plan.unique, values: summed, rowSize };
}

/** out[slots[i]] += values[i] per row, in order (one array type per call keeps the loop monomorphic). */
function sumRows<T extends Float32Array | Float64Array>(values: T, out: T, slots: Int32Array, rowSize: number): T {
  for (let i = 0; i < slots.length; i++) {
    const dst = slots[i]! * rowSize;
    const src = i * rowSize;
    for (let j = 0; j < rowSize; j++) out[dst + j] += values[src + j]!; // typed-array store rounds to f32 like TF
  }
  return out;
}

// One function per array type: a loop that sees both turns polymorphic (several times slower).
function sumDividedF32(values: Float32Array, out: Float32Array, slots: Int32Array, rowSize: number, total: number) {
  for (let i = 0; i < slots.length; i++) {
    const dst = slots[i]! * rowSize;
    const src = i * rowSize;
    for (let j = 0; j < rowSize; j++) out[dst + j] += Math.fround(values[src + j]! / total);
  }
  return out;
}

function sumDividedF64(values: Float64Array, out: Float64Array, slots: Int32Array, rowSize: number, total: number) {
  for (let i = 0; i < slots.length; i++) {
    const dst = slots[i]! * rowSize;
    const src = i * rowSize;
    for (let j = 0; j < rowSize; j++) out[dst + j] += values[src + j]! / total;
  }
  return out;
}

/** values / total in a new array of the same type (plain loops: typed-array map's callback per element cost ~2 ms per lookup). */
export function dividedValues(values: FloatArray, total: number): FloatArray {
  return values instanceof Float32Array ? dividedF32(values, total) : dividedF64(values, total);
}

function dividedF32(values: Float32Array, total: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! / total;
  return out;
}

function dividedF64(values: Float64Array, total: number): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! / total;
  return out;
}

/** Keeps the rows of a global-coordinate sparse gradient that fall in [start, start+size) and makes them local. */
export function restrictRows(sparse: HostSparse, start: number, size: number): HostSparse {
  if (start === 0 && sparse.rows.every((r) => r < size)) return sparse;
  const keep: number[] = [];
  sparse.rows.forEach((r, i) => {
    if (r >= start && r < start + size) keep.push(i);
  });
  const rows = new Int32Array(keep.length);
  const values = new (sparse.values.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(
    keep.length * sparse.rowSize,
  );
  keep.forEach((i, k) => {
    rows[k] = sparse.rows[i]! - start;
    values.set(sparse.values.subarray(i * sparse.rowSize, (i + 1) * sparse.rowSize), k * sparse.rowSize);
  });
  return { rows, values, rowSize: sparse.rowSize };
}
