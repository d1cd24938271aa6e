import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '../errors';
import type { FloatArray } from '../variables/sharded-variable';

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

/**
 * Keras's sparse de-duplication: unique indices in order of first appearance, each with the sum of
 * its rows (the order of summation is the order of appearance, as unsorted_segment_sum does).
 */
export function deduplicateSparse(sparse: HostSparse): HostSparse {
  const { rows, values, rowSize } = sparse;
  let maxRow = -1;
  for (const r of rows) if (r > maxRow) maxRow = r;
  // Row ids index a table (sparseToHost checked them): a slot array, not a Map, per id.
  const slotOf = new Int32Array(maxRow + 1).fill(-1);
  const unique: number[] = [];
  const slots = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (slotOf[r] === -1) {
      slotOf[r] = unique.length;
      unique.push(r);
    }
    slots[i] = slotOf[r]!;
  }
  if (unique.length === rows.length) return sparse;
  const summed =
    values instanceof Float32Array
      ? sumRows(values, new Float32Array(unique.length * rowSize), slots, rowSize)
      : sumRows(values, new Float64Array(unique.length * rowSize), slots, rowSize);
  return { rows: Int32Array.from(unique), values: summed, rowSize };
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
