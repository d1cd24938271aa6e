import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '../errors';
import { extractShard } from '../dtensor/shard';
import { IndexedSlices, restrictRows, sparseToHost, type FloatArray, type HostSparse } from './indexed-slices';
import type { ShardedVariable } from '../variables/sharded-variable';
import { addSquares } from './host-loops';

/** A gradient as accepted by applyGradients. */
export type GradientInput = tf.Tensor | IndexedSlices | FloatArray | null | undefined;

/** A gradient normalised to one variable's local shard. Sparse rows are local row numbers. */
export type Grad =
  | { kind: 'dense-host'; data: FloatArray }
  | {
      kind: 'dense-tensor';
      tensor: tf.Tensor;
      /** The same values on the host, when they came from there (spares a read-back for norms). */ host?: Float32Array;
    }
  | { kind: 'sparse'; sparse: HostSparse };

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Brings a user gradient into the variable's local coordinates and storage kind. A dense gradient may
 * be the local shard (what DTensor passes) or the whole global value, from which the shard is cut.
 */
export function toLocalGradient(grad: Exclude<GradientInput, null | undefined>, v: ShardedVariable): Grad {
  if (grad instanceof IndexedSlices) return { kind: 'sparse', sparse: localSparse(grad, v) };
  const size = grad instanceof tf.Tensor ? grad.size : grad.length;
  const globalSize = product(v.globalShape);
  if (size !== v.localSize && size !== globalSize) {
    const shape = grad instanceof tf.Tensor ? `[${grad.shape.join(', ')}]` : `${size} elements`;
    throw new ValueError(
      `Gradient for variable ${v.name} has shape ${shape}; expected its local shard [${v.localShape.join(', ')}] ` +
        `or its global shape [${v.globalShape.join(', ')}].`,
    );
  }
  const isGlobal = size !== v.localSize;
  if (v.storage === 'tensor') {
    if (!(grad instanceof tf.Tensor)) {
      // Host values (a worker's ring delivers the shard): cut on the host, one upload; the host copy serves the norms.
      const host = Float32Array.from(isGlobal ? cut(grad, v) : grad);
      return { kind: 'dense-tensor', tensor: tf.tensor(host, [...v.localShape], 'float32'), host };
    }
    if (isGlobal)
      return { kind: 'dense-tensor', tensor: tf.tensor(cut(grad.dataSync() as Float32Array, v), [...v.localShape], 'float32') };
    return { kind: 'dense-tensor', tensor: grad.shape.join() === v.localShape.join() ? grad : grad.reshape([...v.localShape]) };
  }
  let data: FloatArray = grad instanceof tf.Tensor ? (grad.dataSync() as Float32Array) : grad;
  if (isGlobal) data = cut(data, v);
  if (v.dtype === 'float64' && !(data instanceof Float64Array)) data = Float64Array.from(data);
  if (v.dtype === 'float32' && !(data instanceof Float32Array)) data = Float32Array.from(data);
  return { kind: 'dense-host', data };
}

function cut(global: FloatArray, v: ShardedVariable): FloatArray {
  return extractShard(global, v.globalShape, v.slices) as FloatArray;
}

/** Sparse rows are global (axis 0 of the global shape); keep this shard's rows and columns. */
function localSparse(grad: IndexedSlices, v: ShardedVariable): HostSparse {
  if (grad.denseShape.join() !== v.globalShape.join()) {
    throw new ValueError(
      `IndexedSlices for variable ${v.name} has dense shape [${grad.denseShape.join(', ')}], ` +
        `the variable's global shape is [${v.globalShape.join(', ')}].`,
    );
  }
  if (v.globalShape.length === 0) throw new ValueError(`IndexedSlices cannot update the scalar variable ${v.name}.`);
  const host = sparseToHost(grad, v.dtype);
  const rows = restrictRows(host, v.slices[0]!.start, v.slices[0]!.size);
  const innerSlices = v.slices.slice(1);
  const innerShape = v.globalShape.slice(1);
  if (innerSlices.every((s, i) => s.start === 0 && s.size === innerShape[i])) return rows;
  // Sharded on an inner axis too: cut each row down to this shard's columns.
  const localRowSize = product(innerSlices.map((s) => s.size));
  const values = new (rows.values.constructor as Float32ArrayConstructor)(rows.rows.length * localRowSize);
  for (let k = 0; k < rows.rows.length; k++) {
    const row = rows.values.subarray(k * rows.rowSize, (k + 1) * rows.rowSize);
    values.set(extractShard(row, innerShape, innerSlices) as FloatArray, k * localRowSize);
  }
  return { rows: rows.rows, values, rowSize: localRowSize };
}

/** Sum of squares of a gradient's local values, in float64 (the same on every kernel and device count). */
export function sumOfSquares(g: Grad): number {
  const data =
    g.kind === 'dense-host' ? g.data : g.kind === 'sparse' ? g.sparse.values : (g.host ?? (g.tensor.dataSync() as Float32Array));
  return addSquares(0, data);
}

export function disposeGrad(g: Grad, keep: ReadonlySet<tf.Tensor>): void {
  if (g.kind === 'dense-tensor' && !keep.has(g.tensor)) g.tensor.dispose();
}
