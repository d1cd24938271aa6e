/**
 * The values of a graph that depend only on the shape of its input, not on its values: keras.io's
 * position ids, `ops.cumsum(ops.ones_like(ids), axis=1) - 1`, are a OnesLike and then ops on it. They
 * are computed once per shape and reused by every step after (the embedding step computed them twice a
 * step: its look-ahead to the ids and its tape). Nothing they depend on is a variable, so no gradient
 * flows into them. A node's value is kept with the key it was made for: a OnesLike/ZerosLike its
 * inputs' shapes and dtypes (and the backend), an op after it the identities of its input tensors, so
 * a new shape (a last partial batch, an evaluation batch) makes new values and drops the old ones.
 * One value per node for the graph's life (the position ids: batch × time floats).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KerasNode } from './layer-types';

interface Kept {
  key: string;
  value: tf.Tensor;
}

/** Graph (its node list) → the names of its shape-only nodes. */
const constantNames = new WeakMap<readonly KerasNode[], Set<string>>();
/** Graph (its node list) → each shape-only node's kept value. */
const keptValues = new WeakMap<readonly KerasNode[], Map<string, Kept>>();
// A graph dropped by its owner takes its kept tensors along (tfjs frees tensors only when disposed).
const release = new FinalizationRegistry<Map<string, Kept>>((kept) => {
  for (const { value } of kept.values()) if (!value.isDisposed) value.dispose();
});

/**
 * Nodes whose value depends only on the input's shape: a OnesLike or ZerosLike, and a keras op whose
 * inputs are all such nodes. Layers (with or without variables, or randomness) never are.
 */
export function shapeOnlyNodes(nodes: readonly KerasNode[]): Set<string> {
  const known = constantNames.get(nodes);
  if (known) return known;
  const found = new Set<string>();
  for (const n of nodes) {
    if (n.valueFrom === undefined || n.extraOutShapes || n.inbound.length === 0) continue;
    if (n.valueFrom === 'shape' || n.inbound.every((i) => found.has(i))) found.add(n.name);
  }
  constantNames.set(nodes, found);
  return found;
}

const keyOf = (node: KerasNode, inputs: tf.Tensor[]): string =>
  node.valueFrom === 'shape'
    ? `${tf.getBackend()} ${inputs.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(' ')}`
    : inputs.map((t) => t.id).join(' ');

/** The node's value for these inputs: the kept one when its key matches, else computed (by `apply`) and kept. */
export function shapeOnlyValue(
  nodes: readonly KerasNode[],
  node: KerasNode,
  inputs: tf.Tensor[],
  apply: () => tf.Tensor,
): tf.Tensor {
  let kept = keptValues.get(nodes);
  if (!kept) {
    kept = new Map();
    keptValues.set(nodes, kept);
    release.register(nodes, kept);
  }
  const key = keyOf(node, inputs);
  const old = kept.get(node.name);
  if (old && old.key === key && !old.value.isDisposed) return old.value;
  const value = tf.keep(apply());
  if (old && !old.value.isDisposed) old.value.dispose();
  kept.set(node.name, { key, value });
  return value;
}
