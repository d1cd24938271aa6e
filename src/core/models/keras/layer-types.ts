/** What every layer translator produces: shapes, Keras-named parameters, and a tfjs forward function. */
import type * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from '../parts';
import { fail, type LayerEntry, type Obj } from './config';
import { initializerOf } from './initializers';
import type { Penalty, WeightPenalty } from './regularizers';
import type { MaskUse } from './masking';

export interface LayerContext {
  training: boolean;
  /** Non-trainable variables (moving statistics, adapted means) by path. */
  state?: Map<string, tf.Tensor>;
  /**
   * Set while training: the layers that update non-trainable variables (BatchNormalization's moving
   * statistics) put the new values here; the caller reads them after the step.
   */
  stateUpdates?: Map<string, tf.Tensor>;
  /**
   * Sums `data` in place over the data-parallel devices and returns when every device's part is in
   * (blocking: forward and backward are synchronous). Absent on one device. BatchNormalization uses it
   * so that its statistics are those of the global batch.
   */
  allReduce?: (data: Float32Array) => void;
  /**
   * Set while a loss is taken: the graph adds the regularizers' terms here, in the units of the step's
   * loss sum (regularizers.ts). `weightLossScale` multiplies the weight terms: the global batch size on
   * the one device that counts them, 0 on the others.
   */
  losses?: tf.Tensor[];
  weightLossScale?: number;
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
  /** Shapes of outputs 1, 2, … of a layer with several (an LSTM's states), read as `name:k`. */
  extraOutShapes?: number[][];
  /** Trainable variables in Keras's order for this layer (`<layer>/<variable>`); h5.layer is a path below the layer's own. */
  params: ParamSpec[];
  /** Non-trainable variables (BatchNormalization's moving statistics), after the trainable ones in the weights file. */
  state?: ParamSpec[];
  /** Its weight regularizers (added to the loss by the graph). */
  regularizers?: WeightPenalty[];
  /** Its activity regularizer, on its output (set by the graph from the layer's config). */
  activityRegularizer?: Penalty;
  /** The activation applied last, if any (for loss checks). */
  activation?: string;
  /** Its layer is frozen (`trainable: false`): its variables are in `state` and apply reads them from ctx.state. */
  frozen?: boolean;
  /** Its training pass all-reduces over the data-parallel devices (BatchNormalization's statistics). */
  syncsBatch?: boolean;
  /**
   * Set on keras ops (pure functions of their inputs): 'shape' when the value depends only on the
   * inputs' shapes (OnesLike, ZerosLike), 'inputs' otherwise (graph-constants.ts keeps what follows).
   */
  valueFrom?: 'shape' | 'inputs';
  /** Set on Embedding layers: ids must lie in [0, inputDim). */
  embedding?: { inputDim: number; table: string };
  /**
   * The layer's output; a layer with extraOutShapes returns all its outputs. `masks`: the Keras masks of
   * its inputs (masking.ts), given when one of them has one.
   */
  apply(
    inputs: tf.Tensor[],
    params: Map<string, tf.Tensor>,
    ctx: LayerContext,
    masks?: (tf.Tensor | null)[],
  ): tf.Tensor | tf.Tensor[];
  /** How it treats Keras masks (masking.ts); absent: a mask reaching it is dropped, as Keras drops it. */
  maskUse?: MaskUse;
  /** Makes its output's mask (Embedding with mask_zero: ids ≠ 0). */
  makeMask?: (inputs: tf.Tensor[]) => tf.Tensor;
  /** Set on a Conv2D with a bias and relu: its output before them, so a max-pool after it can fuse all three. */
  beforeBiasRelu?: { apply(inputs: tf.Tensor[], params: Map<string, tf.Tensor>): tf.Tensor; bias: string };
  /** Set on MaxPooling2D: its window, for that fusion. */
  maxPool?: { size: [number, number]; strides: [number, number]; pad: 'valid' | 'same' };
}

export interface TranslateState {
  /** Random layers (Dropout and its kind) seen so far: keys each one's stream (docs: the masks' rule). */
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
  if (inShapes.length > 1 && entry.call) onlySlots(entry, [0]); // names the extra argument (a mask, say)
  if (inShapes.length !== 1) fail(`layer "${entry.name}" (${entry.className}) takes one input, got ${inShapes.length}`);
  return inShapes[0]!;
}

export function pairOf(v: unknown, fallback: [number, number] | null, what: string, entry: LayerEntry): [number, number] {
  return tupleOf(v, 2, fallback, what, entry) as [number, number];
}

/** A Keras int-or-tuple argument of `n` positive integers (`kernel_size`, `strides`, `pool_size`). */
export function tupleOf(v: unknown, n: number, fallback: number[] | null, what: string, entry: LayerEntry): number[] {
  if (v === undefined || v === null) return fallback ?? fail(`layer "${entry.name}": ${what} is required`);
  const arr = Array.isArray(v) ? v : Array.from({ length: n }, () => v);
  if (arr.length !== n || !arr.every((e) => Number.isInteger(e) && e > 0))
    fail(`layer "${entry.name}": ${what} must be a positive integer or ${n} of them, got ${JSON.stringify(v)}`);
  return arr as number[];
}

/**
 * Keras variable `name` of layer `entry`, at position `index` of its (or its sub-layer `sub`'s) variables
 * in the weights file; `path` is `<layer>/<name>` (Keras's variable path, sub-layer names included).
 */
export function variable(
  entry: LayerEntry,
  name: string,
  index: number,
  shape: number[],
  initKey: string,
  fallbackInit: string,
  sub: { h5: string; path: string } | null = null,
): ParamSpec {
  const init = initializerOf(entry.config[initKey] ?? fallbackInit, shape, `layer "${entry.name}" ${initKey}`);
  return { path: `${entry.name}/${sub ? `${sub.path}/` : ''}${name}`, shape, init, h5: { layer: sub?.h5 ?? '', index } };
}

export function positiveInt(entry: LayerEntry, key: string, c: Obj = entry.config): number {
  const v = c[key];
  if (!Number.isInteger(v) || (v as number) < 1)
    fail(`layer "${entry.name}" (${entry.className}): ${key} must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

/** Refuses a layer config value other than the ones this trainer implements. */
export function only(entry: LayerEntry, key: string, allowed: unknown[], fallback: unknown): unknown {
  const v = entry.config[key] ?? fallback;
  if (!allowed.some((a) => a === v))
    fail(
      `layer "${entry.name}" (${entry.className}): ${key} ${JSON.stringify(v)} is not supported (${allowed.map((a) => JSON.stringify(a)).join(', ')})`,
    );
  return v;
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

/**
 * The call argument each inbound value came from, aligned with entry.inbound: `0`, `1`, … for
 * positional args, the keyword for kwargs (`key`, `initial_state.0`). A 2.x config (no call) gives
 * positions.
 */
export function tensorSlots(entry: LayerEntry): string[] {
  if (!entry.call) return entry.inbound.map((_, i) => String(i));
  const out: string[] = [];
  const visit = (v: unknown, slot: string): void => {
    if (isTensorRef(v)) return void out.push(slot);
    if (Array.isArray(v)) v.forEach((e, i) => visit(e, `${slot}.${i}`));
    else if (typeof v === 'object' && v !== null) Object.entries(v).forEach(([k, e]) => visit(e, `${slot}.${k}`));
  };
  entry.call.args.forEach((a, i) => (isTensorRef(a) ? out.push(String(i)) : visit(a, String(i))));
  Object.entries(entry.call.kwargs).forEach(([k, v]) => (isTensorRef(v) ? out.push(k) : visit(v, k)));
  return out;
}

const isTensorRef = (v: unknown): boolean => typeof v === 'object' && v !== null && (v as Obj).class_name === '__keras_tensor__';

/**
 * Where a call argument sits among a layer's inputs: the positional `position` or the keyword `name`
 * (Keras 3 saves an Embedding's mask_zero mask as a `mask` keyword tensor, fed by a NotEqual op).
 */
export function slotOf(entry: LayerEntry, name: string, position?: number): number | null {
  const slots = tensorSlots(entry);
  const i = slots.indexOf(name);
  if (i >= 0) return i;
  const j = position === undefined ? -1 : slots.indexOf(String(position));
  return j >= 0 ? j : null;
}

/** Refuses inputs other than the slots a layer reads, by the argument's name. */
export function onlySlots(entry: LayerEntry, used: (number | null)[]): void {
  tensorSlots(entry).forEach((s, i) => {
    if (!used.includes(i))
      fail(`layer "${entry.name}" (${entry.className}): call argument ${JSON.stringify(s)} is not supported`);
  });
}
