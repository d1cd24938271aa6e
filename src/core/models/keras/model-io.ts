/**
 * A Keras model's inputs and outputs at their places in a packed row (core/data/parts.ts): each input's
 * shape resolved (None dimensions from the data), its values taken out of the packed batch, and several
 * outputs packed into one row per example for the loss (output-losses.ts). Packed rows hold them by name
 * (packedOrder), so the data and the model agree whatever order either lists them in.
 */
import * as tf from '@tensorflow/tfjs-core';
import { packedOrder } from '../../data/parts';
import { fail, type ModelEntry, type ModelInput } from './config';

/** A model input or output at its place in a packed row: `size` values from `offset`. */
export interface GraphEnd {
  /** The name `fit` keys its data by (Keras's input/output name). */
  name: string;
  /** The graph value: the InputLayer, or the value that is the output. */
  value: string;
  shape: number[];
  offset: number;
  size: number;
}

/**
 * An input's shape with each None dimension taken from `dataShape` (the data's feature shape), which
 * must then fit the rest; without data, None dimensions are refused.
 */
function resolveShape(model: string, input: ModelInput, several: boolean, dataShape?: readonly number[]): number[] {
  const shape = input.shape;
  const what = several ? `input "${input.name}" of model "${model}"` : `model "${model}"`;
  const fixed = (n: number | null) => Number.isInteger(n) && (n as number) > 0;
  if (!shape || shape.length === 0) return fail(`${what} states no input shape`);
  if (shape.every(fixed)) return shape as number[];
  if (!dataShape)
    return fail(
      `${what} has input shape ${JSON.stringify(shape)}: its None dimensions are taken from the data, give the run's data (or "inputShape" in the run's model)`,
    );
  if (dataShape.length !== shape.length || !shape.every((n, i) => n === null || n === dataShape[i]))
    fail(`${what} takes inputs of shape ${JSON.stringify(shape)}, the data's are [${dataShape}]`);
  return [...dataShape];
}

/** The run model's `inputShape`: one shape, or one per named input (a model with several inputs). */
export type GivenShapes = readonly number[] | Readonly<Record<string, readonly number[]>>;

export function resolveInputs(entry: ModelEntry, given?: GivenShapes): Map<string, number[]> {
  const several = entry.inputs.length > 1;
  if (given && Array.isArray(given) && several)
    fail(`model "${entry.name}" has ${entry.inputs.length} inputs: give "inputShape" as {"<input>": shape, …}`);
  const byName = (name: string) => (given && !Array.isArray(given) ? (given as Record<string, number[]>)[name] : given);
  if (given && !Array.isArray(given))
    for (const k of Object.keys(given))
      if (!entry.inputs.some((i) => i.name === k))
        fail(
          `"inputShape" names "${k}", which is not an input of model "${entry.name}" (${entry.inputs.map((i) => i.name).join(', ')})`,
        );
  return new Map(
    entry.inputs.map((i) => [i.layer, resolveShape(entry.name, i, several, byName(i.name) as number[] | undefined)]),
  );
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Ends at their offsets in a packed row: by name (packedOrder), whatever Keras's order. */
export function packed(ends: Omit<GraphEnd, 'offset' | 'size'>[]): GraphEnd[] {
  const order = packedOrder(ends);
  const offsets = new Map<string, number>();
  let at = 0;
  for (const e of order) {
    offsets.set(e.name, at);
    at += sizeOf(e.shape);
  }
  return ends.map((e) => ({ ...e, offset: offsets.get(e.name)!, size: sizeOf(e.shape) }));
}

/** One input's values out of the packed batch [batch, Σ sizes]: its columns, in its shape. */
export function unpackInput(x: tf.Tensor, input: GraphEnd): tf.Tensor {
  return tf.reshape(tf.slice(tf.reshape(x, [x.shape[0]!, -1]), [0, input.offset], [-1, input.size]), [-1, ...input.shape]);
}

/**
 * The model's output from a run's values: the output itself, or with several outputs, each
 * flattened and packed into one row per example in packed order (what output-losses.ts unpacks).
 */
export function graphOutput(graph: { output: string; outputs: GraphEnd[] }, values: Map<string, tf.Tensor>): tf.Tensor {
  if (graph.outputs.length === 1) return values.get(graph.output)!;
  const order = packedOrder(graph.outputs);
  return tf.concat(
    order.map((o) => {
      const v = values.get(o.value)!;
      return tf.reshape(v, [v.shape[0]!, o.size]);
    }),
    1,
  );
}
