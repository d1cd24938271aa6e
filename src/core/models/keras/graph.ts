/**
 * A Keras model config as a graph of translated layers, in an order where every layer follows its
 * inputs (read-model.ts: nested models inlined, each layer's place in the weights file known).
 * Evaluation walks that order once.
 */
import * as tf from '@tensorflow/tfjs-core';
import { biasReluMaxPool } from '../../tfjs/bias-relu-pool';
import type { ParamSpec } from '../parts';
import { fail, type LayerEntry, type ModelEntry } from './config';
import { packed, resolveInputs, unpackInput, type GivenShapes, type GraphEnd } from './model-io';

import type { KerasNode, LayerContext } from './layer-types';
import { translatorOf, unsupportedIn } from './registry';
import { penaltyOf, penaltyTensor } from './regularizers';
import { outputMask, outputMasked, refuseMaskedOutput } from './masking';
import { shapeOnlyNodes, shapeOnlyValue } from './graph-constants';

export { graphOutput, type GivenShapes, type GraphEnd } from './model-io';

export interface KerasGraph {
  nodes: KerasNode[];
  /** The first InputLayer and output value (the only ones of a one-input, one-output model). */
  input: string;
  output: string;
  /** Every input and output in Keras's order; a packed row holds them by name (core/data/parts.ts). */
  inputs: GraphEnd[];
  outputs: GraphEnd[];
  /** One input: its shape; several: [the packed row's length]. */
  inputShape: number[];
  /** A layer's training pass all-reduces over the data-parallel devices: several devices need ctx.allReduce. */
  syncsBatch: boolean;
}

export interface BuiltGraph {
  graph: KerasGraph;
  /** Trainable variables in Keras's order (`model.trainable_weights`). */
  params: ParamSpec[];
  /** Non-trainable variables (`model.non_trainable_weights`). */
  state: ParamSpec[];
}

/** Translates every layer (shapes checked along the way) and lists the variables in Keras's order. */
export function buildGraph(entry: ModelEntry, given?: GivenShapes): BuiltGraph {
  const unsupported = unsupportedIn(entry.layers);
  if (unsupported) fail(unsupported);
  const inputShapes = resolveInputs(entry, given);
  const shapes = new Map<string, number[]>();
  const masked = new Set<string>();
  const nodes: KerasNode[] = [];
  const state = { dropouts: 0 };
  for (const layer of entry.layers) {
    if (shapes.has(layer.name)) fail(`layer name "${layer.name}" is used twice`);
    const fed = inputShapes.get(layer.name);
    const inShapes = fed
      ? [fed]
      : layer.inbound.map(
          (n) => shapes.get(n) ?? fail(`layer "${layer.name}" takes the output of "${n}", which comes later or does not exist`),
        );
    if (!fed && inShapes.length === 0) fail(`layer "${layer.name}" has no input`);
    const activity = penaltyOf(layer.config.activity_regularizer, `layer "${layer.name}" activity_regularizer`);
    const node: KerasNode = {
      name: layer.name,
      className: layer.className,
      inbound: fed ? [] : layer.inbound,
      ...translatorOf(layer)(layer, inShapes, state),
      ...(activity ? { activityRegularizer: activity } : {}),
    };
    shapes.set(layer.name, node.outShape);
    node.extraOutShapes?.forEach((s, k) => shapes.set(`${layer.name}:${k + 1}`, s));
    if (node.className === 'BatchNormalization' && node.inbound.some((n) => masked.has(n)))
      fail(`layer "${node.name}" (BatchNormalization) receives a mask: masked batch statistics are not supported`);
    if (outputMasked(node, masked)) masked.add(layer.name);
    nodes.push(placed(node, layer));
  }
  for (const o of entry.outputs) {
    if (!shapes.has(o.value)) fail(`model "${entry.name}": output "${o.value}" is not among its layers`);
    refuseMaskedOutput(entry.name, o.value, masked);
  }
  const inputs = packed(entry.inputs.map((i) => ({ name: i.name, value: i.layer, shape: inputShapes.get(i.layer)! })));
  const outputs = packed(entry.outputs.map((o) => ({ name: o.name, value: o.value, shape: shapes.get(o.value)! })));
  const inputShape = inputs.length === 1 ? inputs[0]!.shape : [inputs.reduce((a, i) => a + i.size, 0)];
  return {
    graph: {
      nodes,
      input: entry.input,
      output: entry.output,
      inputs,
      outputs,
      inputShape,
      syncsBatch: nodes.some((n) => n.syncsBatch),
    },
    params: nodes.flatMap((n) => n.params),
    state: nodes.flatMap((n) => n.state ?? []),
  };
}

/**
 * The node with each variable's weights-file path below its layer's (`lstm` + `cell` → `lstm/cell`). A
 * frozen layer (`trainable: false`) keeps its variables, non-trainable, in `state`: not optimized, read
 * from the state at run time (Keras's h5 order is unchanged by freezing).
 */
function placed(node: KerasNode, layer: LayerEntry): KerasNode {
  const place = (p: ParamSpec): ParamSpec => {
    if (layer.h5 === null) return fail(`internal: layer "${layer.name}" has variables but no place in the weights file`);
    const sub = p.h5?.layer ?? '';
    return { ...p, h5: { layer: sub ? `${layer.h5}/${sub}` : layer.h5, index: p.h5?.index ?? 0 } };
  };
  const params = node.params.map(place);
  const state = (node.state ?? []).map(place);
  if (layer.config.trainable === false && params.length > 0)
    return { ...node, params: [], state: [...params, ...state], frozen: true };
  return { ...node, params, ...(node.state ? { state } : {}) };
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
 * a fully sharded step runs one unit's range at a time (models/units.ts). `masks` holds the Keras
 * masks of the values so far (masking.ts).
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
  masks = new Map<string, tf.Tensor>(),
): void {
  const fused = fusedPools(graph, until);
  const skipped = new Set([...fused.values()].map((c) => c.name));
  const shapeOnly = shapeOnlyNodes(graph.nodes);
  const inputsOf = (node: KerasNode) => {
    const fed = graph.inputs.find((i) => i.value === node.name);
    return fed ? [graph.inputs.length === 1 ? x! : unpackInput(x!, fed)] : node.inbound.map((n) => values.get(n)!);
  };
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
    const inputs = inputsOf(node);
    if (shapeOnly.has(node.name)) {
      // Depends on the input's shape only (position ids): made once per shape (graph-constants.ts).
      values.set(
        node.name,
        shapeOnlyValue(graph.nodes, node, inputs, () => node.apply(inputs, params, ctx) as tf.Tensor),
      );
      continue;
    }
    const inMasks = node.inbound.map((n) => masks.get(n) ?? null);
    // A frozen layer's variables are non-trainable: they come with the state.
    const own = node.frozen ? (ctx.state ?? params) : params;
    const out = node.apply(inputs, own, ctx, inMasks.some((m) => m) ? inMasks : undefined);
    const mask = outputMask(node, inputs, inMasks);
    if (mask) masks.set(node.name, mask);
    if (ctx.losses) addPenalties(node, out, params, ctx);
    if (!Array.isArray(out)) {
      values.set(node.name, out);
      continue;
    }
    values.set(node.name, out[0]!);
    out.slice(1).forEach((t, k) => values.set(`${node.name}:${k + 1}`, t));
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
  for (const o of graph.outputs) lastUse.set(o.value, nodes.length);
  const fusedSpans = [...fusedPools(graph).entries()].map(([pool, conv]) => [at.get(conv.name)!, at.get(pool)!] as const);
  const cuts: number[] = [];
  for (let p = 1; p < nodes.length; p++) {
    const live = nodes.slice(0, p).filter((n) => (lastUse.get(n.name) ?? -1) >= p).length;
    if (live === 1 && !fusedSpans.some(([c, q]) => c < p && p <= q)) cuts.push(p);
  }
  return cuts;
}

/**
 * The node's regularizer terms (regularizers.ts): weights × ctx.weightLossScale, outputs summed over
 * this device's examples. Kept past forward's tidy scope: the step sums and then disposes them.
 */
function addPenalties(node: KerasNode, out: tf.Tensor | tf.Tensor[], params: Map<string, tf.Tensor>, ctx: LayerContext): void {
  const scale = ctx.weightLossScale ?? 0;
  if (scale !== 0)
    for (const r of node.regularizers ?? []) ctx.losses!.push(tf.keep(tf.mul(penaltyTensor(params.get(r.path)!, r), scale)));
  if (node.activityRegularizer)
    for (const t of Array.isArray(out) ? out : [out]) ctx.losses!.push(tf.keep(penaltyTensor(t, node.activityRegularizer)));
}

/** MaxPooling2D node → the Conv2D (bias, relu) it alone consumes, when that conv's output is needed nowhere else. */
function fusedPools(graph: KerasGraph, until?: Set<string>): Map<string, KerasNode> {
  const consumers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inbound) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const out = new Map<string, KerasNode>();
  for (const n of graph.nodes) {
    const conv = n.maxPool && n.inbound.length === 1 ? byName.get(n.inbound[0]!) : undefined;
    const isOutput = graph.outputs.some((o) => o.value === conv?.name);
    if (!conv?.beforeBiasRelu || consumers.get(conv.name) !== 1 || isOutput || until?.has(conv.name)) continue;
    out.set(n.name, conv);
  }
  return out;
}
