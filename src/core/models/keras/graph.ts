/**
 * A Keras model config as a graph of translated layers, in an order where every layer follows its
 * inputs (Sequential: the list; Functional: the config's layer list, which Keras writes topologically,
 * checked here). Evaluation walks that order once.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { biasReluMaxPool } from '../../tfjs/bias-relu-pool';
import type { ParamSpec } from '../parts';
import { fail, type ModelEntry } from './config';
import type { KerasNode, LayerContext, Translator } from './layer-types';
import { conv2d, dense, embedding, layerNormalization } from './layers-weighted';
import {
  activation,
  add,
  averagePooling2d,
  concatenate,
  dropout,
  flatten,
  globalAveragePooling1d,
  globalAveragePooling2d,
  inputLayer,
  maxPooling2d,
  reshape,
} from './layers-shaping';

const TRANSLATORS: Record<string, Translator> = {
  InputLayer: inputLayer,
  Dense: dense,
  Conv2D: conv2d,
  MaxPooling2D: maxPooling2d,
  MaxPool2D: maxPooling2d,
  AveragePooling2D: averagePooling2d,
  AvgPool2D: averagePooling2d,
  GlobalAveragePooling1D: globalAveragePooling1d,
  GlobalAveragePooling2D: globalAveragePooling2d,
  Flatten: flatten,
  Dropout: dropout,
  Activation: activation,
  Reshape: reshape,
  Embedding: embedding,
  LayerNormalization: layerNormalization,
  Concatenate: concatenate,
  Add: add,
};
export const SUPPORTED_LAYERS = [
  'InputLayer',
  'Dense',
  'Conv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Dropout',
  'Activation',
  'Reshape',
  'Embedding',
  'LayerNormalization',
  'Concatenate',
  'Add',
];

export interface KerasGraph {
  nodes: KerasNode[];
  input: string;
  output: string;
  inputShape: number[];
}

/** Translates every layer (shapes checked along the way) and lists the parameters in Keras's weight order. */
export function buildGraph(entry: ModelEntry): { graph: KerasGraph; params: ParamSpec[] } {
  const unsupported = entry.layers.find((l) => !(l.className in TRANSLATORS));
  if (unsupported)
    fail(
      `layer "${unsupported.name}" has class ${unsupported.className}, which is not supported (supported: ${SUPPORTED_LAYERS.join(', ')})`,
    );
  const inputs = entry.layers.filter((l) => l.className === 'InputLayer');
  if (inputs.length !== 1) fail(`model "${entry.name}" has ${inputs.length} InputLayers (one is supported)`);
  const shape = entry.inputShape;
  if (!shape || shape.length === 0 || !shape.every((n) => Number.isInteger(n) && (n as number) > 0)) {
    fail(`model "${entry.name}" needs a fixed input shape (no None besides the batch axis), got ${JSON.stringify(shape)}`);
  }
  const inputShape = shape as number[];
  const shapes = new Map<string, number[]>();
  const nodes: KerasNode[] = [];
  const state = { dropouts: 0 };
  for (const layer of entry.layers) {
    if (shapes.has(layer.name)) fail(`layer name "${layer.name}" is used twice`);
    const inShapes =
      layer.className === 'InputLayer'
        ? [inputShape]
        : layer.inbound.map(
            (n) => shapes.get(n) ?? fail(`layer "${layer.name}" takes the output of "${n}", which comes later or does not exist`),
          );
    if (layer.className !== 'InputLayer' && inShapes.length === 0) fail(`layer "${layer.name}" has no input`);
    const node = {
      name: layer.name,
      className: layer.className,
      inbound: layer.inbound,
      ...TRANSLATORS[layer.className]!(layer, inShapes, state),
    };
    shapes.set(layer.name, node.outShape);
    nodes.push(node);
  }
  if (!shapes.has(entry.output)) fail(`model "${entry.name}": output layer "${entry.output}" is not among its layers`);
  const keys = weightsFileKeys(entry);
  const params = nodes.flatMap((n) => n.params.map((p) => ({ ...p, h5: { layer: keys.get(n.name)!, index: p.h5!.index } })));
  return { graph: { nodes, input: inputs[0]!.name, output: entry.output, inputShape }, params };
}

/** Keras's `to_snake_case` of a class name. */
const snakeCase = (name: string) =>
  name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();

/**
 * The key of each layer in model.weights.h5: Keras saves a layer list by class, not by name — the
 * snake_case class name, then `_1`, `_2`, … for repeats; a Sequential's InputLayer is not saved.
 */
function weightsFileKeys(entry: ModelEntry): Map<string, string> {
  const used = new Map<string, number>();
  const out = new Map<string, string>();
  for (const layer of entry.layers) {
    if (entry.className === 'Sequential' && layer.className === 'InputLayer') continue;
    const base = snakeCase(layer.className);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    out.set(layer.name, n === undefined ? base : `${base}_${n + 1}`);
  }
  return out;
}

/** Runs the graph on `x` ([batch, ...inputShape]); `until` stops once those nodes have values. */
export function runGraph(
  graph: KerasGraph,
  params: Map<string, tf.Tensor>,
  x: tf.Tensor,
  ctx: LayerContext,
  until?: Set<string>,
): Map<string, tf.Tensor> {
  const values = new Map<string, tf.Tensor>();
  runNodes(graph, params, x, values, ctx, 0, graph.nodes.length, until);
  return values;
}

/**
 * Runs the nodes at positions [from, to) of the graph's order, adding their outputs to `values`
 * (which holds what earlier nodes produced); `x` is what the InputLayer takes. runGraph runs them all;
 * a fully sharded step runs one unit's range at a time (models/units.ts).
 */
export function runNodes(
  graph: KerasGraph,
  params: Map<string, tf.Tensor>,
  x: tf.Tensor | null,
  values: Map<string, tf.Tensor>,
  ctx: LayerContext,
  from: number,
  to: number,
  until?: Set<string>,
): void {
  const fused = fusedPools(graph, until);
  const skipped = new Set([...fused.values()].map((c) => c.name));
  const inputsOf = (node: KerasNode) => (node.name === graph.input ? [x!] : node.inbound.map((n) => values.get(n)!));
  for (const node of graph.nodes.slice(from, to)) {
    if (until && [...until].every((n) => values.has(n))) break;
    if (skipped.has(node.name)) continue; // computed by the max-pool after it
    const conv = fused.get(node.name);
    if (conv) {
      // conv → bias → relu → max-pool as one op; the conv layer's (relu) output is never materialised.
      const { apply, bias } = conv.beforeBiasRelu!;
      const { size, strides, pad } = node.maxPool!;
      values.set(node.name, biasReluMaxPool(apply(inputsOf(conv), params) as tf.Tensor4D, params.get(bias)!, size, strides, pad));
      continue;
    }
    values.set(node.name, node.apply(inputsOf(node), params, ctx));
  }
}

/**
 * Positions p of the graph's order where it can be cut in two: exactly one value computed before p
 * is used at or after p (or is the output), and p does not separate a fused conv from its max-pool.
 * Cutting there, a part takes one tensor in and gives one out.
 */
export function cutPoints(graph: KerasGraph): number[] {
  const { nodes } = graph;
  const at = new Map(nodes.map((n, i) => [n.name, i]));
  // The last position that reads each node's value (the output is read at the end).
  const lastUse = new Map<string, number>();
  nodes.forEach((n, i) => n.inbound.forEach((src) => lastUse.set(src, Math.max(lastUse.get(src) ?? -1, i))));
  lastUse.set(graph.output, nodes.length);
  const fusedSpans = [...fusedPools(graph).entries()].map(([pool, conv]) => [at.get(conv.name)!, at.get(pool)!] as const);
  const cuts: number[] = [];
  for (let p = 1; p < nodes.length; p++) {
    const live = nodes.slice(0, p).filter((n) => (lastUse.get(n.name) ?? -1) >= p).length;
    if (live === 1 && !fusedSpans.some(([c, q]) => c < p && p <= q)) cuts.push(p);
  }
  return cuts;
}

/** MaxPooling2D node → the Conv2D (bias, relu) it alone consumes, when that conv's output is needed nowhere else. */
function fusedPools(graph: KerasGraph, until?: Set<string>): Map<string, KerasNode> {
  const consumers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inbound) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const out = new Map<string, KerasNode>();
  for (const n of graph.nodes) {
    const conv = n.maxPool && n.inbound.length === 1 ? byName.get(n.inbound[0]!) : undefined;
    if (!conv?.beforeBiasRelu || consumers.get(conv.name) !== 1 || conv.name === graph.output || until?.has(conv.name)) continue;
    out.set(n.name, conv);
  }
  return out;
}
