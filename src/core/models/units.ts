/**
 * A model cut into units for a fully sharded step (docs/architecture.md, "The memory model"): a unit
 * is a layer with parameters plus the parameter-free layers after it (a conv fused with its max-pool
 * counts as one layer), and takes one tensor in and gives one out. A worker gathers a unit's
 * parameters just before the unit computes and frees them after, so it holds the full values of about
 * one unit at a time; backward differentiates one unit at a time.
 *
 * Units run the very code of the whole-model forward (forward.ts's blocks, the Keras graph's nodes),
 * so composing them computes the same values with the same kernels.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Model } from './model';
import { applyBlock, blockLength, type ForwardOptions } from './forward';
import { cutPoints, runNodes, type KerasGraph } from './keras/graph';
import type { LayerContext } from './keras/layer-types';

export interface UnitContext extends ForwardOptions {
  /** Replaces an Embedding's lookup (Keras models): see LayerContext.embed. */
  embed?: LayerContext['embed'];
}

/** An Embedding looked up inside a unit: its rows, not its table, are what backward differentiates. */
export interface UnitLookup {
  layer: string;
  table: string;
  inputDim: number;
}

export interface StepUnit {
  index: number;
  /** The layers it computes, for messages: `conv2d+max_pooling2d+flatten`. */
  name: string;
  /** Its parameters' paths, in the model's parameter order (Embedding tables included). */
  params: string[];
  lookups: UnitLookup[];
  /** Its output's shape (without the batch axis). */
  outShape: number[];
  /** Values per example of every layer output inside it (what recomputing and differentiating it holds). */
  activationSize: number;
  /** The unit's output from its input (the first unit's input: the batch, reshaped to the model's input shape). */
  apply(h: tf.Tensor, params: Map<string, tf.Tensor>, ctx: UnitContext): tf.Tensor;
}

/**
 * Why a fully sharded step cannot run `model`, or null. A unit hands the next one tensor and nothing
 * else: not a Keras mask, a layer's second output, non-trainable state and its updates, regularizer
 * terms or a batch-statistics all-reduce. Such a model trains with its parameters gathered.
 */
export function unitsCannotRun(model: Model): string | null {
  const graph = model.keras?.graph;
  if (graph && (graph.inputs.length > 1 || graph.outputs.length > 1))
    return `model "${model.keras!.name}" has ${graph.inputs.length} inputs and ${graph.outputs.length} outputs, which fully sharded units (one tensor in, one out) do not carry`;
  for (const n of model.keras?.graph.nodes ?? []) {
    const what = n.state?.length
      ? 'non-trainable variables (moving statistics, adapted or frozen weights)'
      : n.makeMask
        ? 'a Keras mask (mask_zero)'
        : n.extraOutShapes?.length
          ? 'several outputs'
          : n.regularizers?.length || n.activityRegularizer
            ? 'regularizers'
            : null;
    if (what) return `layer "${n.name}" (${n.className}) has ${what}, which fully sharded units do not carry`;
  }
  return null;
}

/** The model's units, in forward order (one unit for a model units cannot cut: unitsCannotRun). */
export function stepUnits(model: Model): StepUnit[] {
  const groups = model.keras ? kerasUnits(model.keras.graph, unitsCannotRun(model) === null) : specUnits(model);
  const order = new Map(model.params.map((p, i) => [p.path, i]));
  return groups.map((g, index) => ({ ...g, index, params: g.params.sort((a, b) => order.get(a)! - order.get(b)!) }));
}

type Draft = Omit<StepUnit, 'index'>;

/** A piece that cannot be cut further, and whether it has parameters. */
interface Piece {
  names: string[];
  params: string[];
  lookups: UnitLookup[];
  from: number;
  to: number;
  outShape: number[];
  activationSize: number;
}

/** Parameter-free pieces join the unit before them; a piece with parameters starts a new unit once the current one has some. */
function group(pieces: Piece[]): Piece[][] {
  const units: Piece[][] = [];
  for (const piece of pieces) {
    const current = units[units.length - 1];
    const hasParams = current?.some((p) => p.params.length > 0);
    if (!current || (hasParams && piece.params.length > 0)) units.push([piece]);
    else current.push(piece);
  }
  return units;
}

function specUnits(model: Model): Draft[] {
  const { layers } = model;
  const pieces: Piece[] = [];
  for (let i = 0; i < layers.length; i += blockLength(layers, i)) {
    const block = layers.slice(i, i + blockLength(layers, i));
    const params = block.flatMap((l) =>
      l.kind === 'dense' || l.kind === 'conv2d' ? [l.kernel, ...(l.bias ? [l.bias] : [])] : [],
    );
    pieces.push({
      names: block.map((l) => l.name),
      params,
      lookups: [],
      from: i,
      to: i + block.length,
      outShape: block[block.length - 1]!.outShape,
      activationSize: sum(block.map((l) => size(l.outShape))),
    });
  }
  return group(pieces).map((ps) => {
    const from = ps[0]!.from;
    const to = ps[ps.length - 1]!.to;
    return {
      ...merge(ps),
      apply: (h, params, ctx) => {
        for (let i = from; i < to; i += blockLength(layers, i)) h = applyBlock(layers, i, h, params, ctx);
        return h;
      },
    };
  });
}

function kerasUnits(graph: KerasGraph, cut: boolean): Draft[] {
  const bounds = [0, ...(cut ? cutPoints(graph) : []), graph.nodes.length];
  const pieces: Piece[] = bounds.slice(0, -1).map((from, k) => {
    const nodes = graph.nodes.slice(from, bounds[k + 1]);
    return {
      names: nodes.filter((n) => n.className !== 'InputLayer').map((n) => n.name),
      params: nodes.flatMap((n) => n.params.map((p) => p.path)),
      lookups: nodes.flatMap((n) => (n.embedding ? [{ layer: n.name, ...n.embedding }] : [])),
      from,
      to: bounds[k + 1]!,
      outShape: nodes[nodes.length - 1]!.outShape,
      activationSize: sum(nodes.map((n) => size(n.outShape))),
    };
  });
  return group(pieces).map((ps) => {
    const from = ps[0]!.from;
    const to = ps[ps.length - 1]!.to;
    // The one value crossing the cut before `from`: the output of the node just before it.
    const entering = from === 0 ? null : liveAt(graph, from);
    const leaving = to === graph.nodes.length ? graph.output : liveAt(graph, to);
    return {
      ...merge(ps),
      apply: (h, params, ctx) => {
        const values = new Map<string, tf.Tensor>();
        if (entering) values.set(entering, h);
        const layerCtx: LayerContext = {
          training: ctx.training ?? false,
          dropoutSeed: ctx.dropoutSeed,
          exampleOffset: ctx.exampleOffset ?? 0,
          embed: ctx.embed,
        };
        runNodes(graph, params, entering ? null : h, values, layerCtx, from, to);
        return values.get(leaving)!;
      },
    };
  });
}

/** The name of the one value computed before position p and used at or after it (p is a cut point). */
function liveAt(graph: KerasGraph, p: number): string {
  const later = new Set(graph.nodes.slice(p).flatMap((n) => n.inbound));
  later.add(graph.output);
  const live = graph.nodes.slice(0, p).filter((n) => later.has(n.name));
  if (live.length !== 1) throw new Error(`internal: ${live.length} values cross the cut before node ${p}`);
  return live[0]!.name;
}

function merge(pieces: Piece[]): Omit<Draft, 'apply'> {
  return {
    name: pieces.flatMap((p) => p.names).join('+') || 'input',
    params: pieces.flatMap((p) => p.params),
    lookups: pieces.flatMap((p) => p.lookups),
    outShape: pieces[pieces.length - 1]!.outShape,
    activationSize: sum(pieces.map((p) => p.activationSize)),
  };
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
