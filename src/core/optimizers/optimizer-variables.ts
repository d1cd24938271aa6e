/** The optimizer's own variables: the step counter, slots made like a model variable, and set_weights' checks. */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '../errors';
import { Layout } from '../dtensor/layout';
import type { Mesh } from '../dtensor/mesh';
import { ShardedVariable } from '../variables/sharded-variable';
import type { HostHeap } from '../wasm/heap';

/** The scalar step counter, replicated on every device (Keras: int64 `iteration`, layout rank-0 replicated). */
export class IterationsVariable {
  readonly name = 'iteration';
  readonly dtype = 'int64';
  constructor(
    public value: number,
    readonly layout: Layout,
  ) {}
}
export type OptimizerVariable = IterationsVariable | ShardedVariable;

/** Keras set_weights: zips `variables` with `weights` (extras ignored), checking each size first. */
export function assignWeights(variables: readonly OptimizerVariable[], weights: readonly (number | ArrayLike<number>)[]): void {
  variables.forEach((v, i) => {
    const w = weights[i];
    if (w === undefined) return;
    const size = typeof w === 'number' ? 0 : w.length;
    const expected = v instanceof IterationsVariable ? 0 : v.localSize;
    if ((typeof w === 'number') !== v instanceof IterationsVariable || size !== expected) {
      const shape = v instanceof IterationsVariable ? '()' : `(${v.localShape.join(', ')})`;
      throw new ValueError(
        `Optimizer variable ${v.name} has shape ${shape} not compatible with provided weight shape ${typeof w === 'number' ? '()' : `(${size},)`}.`,
      );
    }
    if (v instanceof IterationsVariable) v.value = w as number;
    else v.assignLocal(w as ArrayLike<number>);
  });
}

/**
 * A non-trainable variable shaped like `ref`: zeros with its layout, storage and heap (a fused kernel
 * updates a variable and its slots in one memory); a tensor initial value
 * becomes replicated on `mesh`; a ShardedVariable initial value gives its local values.
 */
export function variableLike(
  ref: ShardedVariable,
  name: string,
  initialValue: tf.Tensor | ShardedVariable | undefined,
  mesh: Mesh,
  deviceId: number,
): ShardedVariable {
  const base = { name, dtype: ref.dtype, storage: ref.storage, heap: ref.heap, deviceId, trainable: false } as const;
  if (initialValue instanceof tf.Tensor) {
    return new ShardedVariable({
      ...base,
      globalShape: initialValue.shape,
      layout: Layout.replicated(mesh, initialValue.rank),
      initialValue: initialValue.dataSync() as Float32Array,
    });
  }
  const values = initialValue ? initialValue.readLocal() : undefined;
  return new ShardedVariable({
    ...base,
    globalShape: ref.globalShape,
    layout: ref.layout,
    initialValue: values,
    initialIsLocal: true,
  });
}

export interface ReplicatedVariableOptions {
  dtype?: 'float32' | 'float64';
  initializer?: 'zeros' | 'ones';
  name?: string;
}

/** A non-trainable variable of `shape`, replicated on `mesh` (Keras add_variable). */
export function replicatedVariable(
  shape: readonly number[],
  options: ReplicatedVariableOptions,
  mesh: Mesh,
  deviceId: number,
  heap: HostHeap,
): ShardedVariable {
  const size = shape.reduce((a, b) => a * b, 1);
  const fill = options.initializer === 'ones' ? 1 : 0;
  return new ShardedVariable({
    name: options.name ?? 'Variable',
    globalShape: shape,
    dtype: options.dtype,
    layout: Layout.replicated(mesh, shape.length),
    deviceId,
    heap,
    initialValue: new Array<number>(size).fill(fill),
    trainable: false,
  });
}
