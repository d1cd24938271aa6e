/** What every layer translator produces: shapes, Keras-named parameters, and a tfjs forward function. */
import type * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from '../parts';
import { fail, type LayerEntry, type Obj } from './config';

export interface LayerContext {
  training: boolean;
  dropoutSeed?: number;
  exampleOffset: number;
  /**
   * Replaces an Embedding's lookup: during a training step the looked-up rows are inputs of the
   * gradient, so the table's gradient comes out as IndexedSlices (one row per id) instead of dense.
   * Gets the ids (int32) and the layer's input as it came (to check the ids); the table is not read
   * then, so a fully sharded step's backward need not gather it again.
   */
  embed?: (layer: string, ids: tf.Tensor, raw: tf.Tensor) => tf.Tensor;
}

export interface KerasNode {
  name: string;
  className: string;
  inbound: string[];
  /** Output shape without the batch axis. */
  outShape: number[];
  /** Parameters in Keras's variable order for this layer (`<layer>/<variable>`). */
  params: ParamSpec[];
  /** The activation applied last, if any (for loss checks). */
  activation?: string;
  /** Set on Embedding layers: ids must lie in [0, inputDim). */
  embedding?: { inputDim: number; table: string };
  apply(inputs: tf.Tensor[], params: Map<string, tf.Tensor>, ctx: LayerContext): tf.Tensor;
  /** Set on a Conv2D with a bias and relu: its output before them, so a max-pool after it can fuse all three. */
  beforeBiasRelu?: { apply(inputs: tf.Tensor[], params: Map<string, tf.Tensor>): tf.Tensor; bias: string };
  /** Set on MaxPooling2D: its window, for that fusion. */
  maxPool?: { size: [number, number]; strides: [number, number]; pad: 'valid' | 'same' };
}

export interface TranslateState {
  /** Dropout layers seen so far (keys each one's mask stream). */
  dropouts: number;
}

export type Translator = (
  entry: LayerEntry,
  inShapes: number[][],
  state: TranslateState,
) => Omit<KerasNode, 'name' | 'className' | 'inbound'>;

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function param(params: Map<string, tf.Tensor>, path: string): tf.Tensor {
  const t = params.get(path);
  if (t === undefined) throw new Error(`forward: missing parameter "${path}"`);
  return t;
}

/** Refuses config options this trainer would silently ignore (regularizers add loss terms, constraints clip). */
export function refuseSet(entry: LayerEntry, keys: string[]): void {
  for (const k of keys) {
    const v = entry.config[k];
    if (v !== undefined && v !== null && v !== false)
      fail(`layer "${entry.name}" (${entry.className}): ${k} is not supported (got ${JSON.stringify(v)})`);
  }
}

export function channelsLast(entry: LayerEntry): void {
  const f = entry.config.data_format;
  if (f !== undefined && f !== null && f !== 'channels_last')
    fail(`layer "${entry.name}" (${entry.className}): data_format "${String(f)}" is not supported (channels_last only)`);
}

export function oneInput(entry: LayerEntry, inShapes: number[][]): number[] {
  if (inShapes.length !== 1) fail(`layer "${entry.name}" (${entry.className}) takes one input, got ${inShapes.length}`);
  return inShapes[0]!;
}

export function pairOf(v: unknown, fallback: [number, number] | null, what: string, entry: LayerEntry): [number, number] {
  if (v === undefined || v === null) return fallback ?? fail(`layer "${entry.name}": ${what} is required`);
  const arr = Array.isArray(v) ? v : [v, v];
  if (arr.length !== 2 || !arr.every((e) => Number.isInteger(e) && e > 0))
    fail(`layer "${entry.name}": ${what} must be a positive integer or a pair, got ${JSON.stringify(v)}`);
  return [arr[0] as number, arr[1] as number];
}

export function paddingOf(entry: LayerEntry): 'valid' | 'same' {
  const p = entry.config.padding ?? 'valid';
  if (p !== 'valid' && p !== 'same') return fail(`layer "${entry.name}": padding "${String(p)}" is not supported (valid, same)`);
  return p;
}

export function windowShape(
  entry: LayerEntry,
  inShape: number[],
  k: [number, number],
  s: [number, number],
  pad: 'valid' | 'same',
  channels: number,
): number[] {
  if (inShape.length !== 3)
    fail(`layer "${entry.name}" (${entry.className}) needs a rank-3 input [height, width, channels], got [${inShape}]`);
  const out = [0, 1].map((i) =>
    pad === 'same' ? Math.ceil(inShape[i]! / s[i]!) : Math.floor((inShape[i]! - k[i]!) / s[i]!) + 1,
  );
  if (out.some((n) => n < 1))
    fail(`layer "${entry.name}" (${entry.className}): window [${k}] does not fit input [${inShape}] with padding "valid"`);
  return [out[0]!, out[1]!, channels];
}

/** A config value that must be a number (with a default). */
export function numberOf(c: Obj, key: string, fallback: number, entry: LayerEntry): number {
  const v = c[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail(`layer "${entry.name}": ${key} must be a number, got ${JSON.stringify(v)}`);
  return v as number;
}

/** Keras axis (counted with the batch axis, may be negative) → axis into the full tensor. */
export function fullAxis(axis: number, rankWithBatch: number, entry: LayerEntry): number {
  const a = axis < 0 ? rankWithBatch + axis : axis;
  if (!Number.isInteger(a) || a < 1 || a >= rankWithBatch)
    fail(`layer "${entry.name}": axis ${axis} is not a feature axis of a rank-${rankWithBatch} input`);
  return a;
}
