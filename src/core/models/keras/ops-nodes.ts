/**
 * keras.ops calls saved in a Functional graph (`module: keras.src.ops.numpy`, …): the elementwise,
 * reduction and shape ops models are written with (`ops.add(x, y)`, `x * 0.5`, `ops.cumsum(ones, 1) - 1`,
 * `x[:, 0]`). Arguments that are not tensors (constants, axes) come from the saved call. Every value is
 * float32 here (integer ops such as position ids hold exact small integers); shapes are inferred with
 * the batch axis as −1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gelu, leakyRelu, logSoftmax, softmax } from './activations';
import { fail, isObj, type LayerEntry, type Obj } from './config';
import type { Translator } from './layer-types';
import { greaterEqualMask, greaterMask } from './compare';
import { OP_SHAPES, type OpShape } from './ops-shapes';

type Fn = (args: unknown[], c: Obj) => tf.Tensor | tf.Tensor[];

const t = (v: unknown): tf.Tensor => (v instanceof tf.Tensor ? v : tf.scalar(Number(v)));
const unary =
  (f: (x: tf.Tensor) => tf.Tensor): Fn =>
  ([x]) =>
    f(t(x));
const binary =
  (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Fn =>
  ([a, b]) =>
    f(t(a), t(b));
const float = (x: tf.Tensor) => (x.dtype === 'float32' ? x : tf.cast(x, 'float32'));
const axisOf = (c: Obj) => (c.axis === null || c.axis === undefined ? undefined : (c.axis as number | number[]));

const OPS: Record<string, Fn> = {
  Add: binary(tf.add),
  Subtract: binary(tf.sub),
  Multiply: binary(tf.mul),
  Divide: binary(tf.div),
  TrueDivide: binary(tf.div),
  Power: binary(tf.pow),
  Maximum: binary(tf.maximum),
  Minimum: binary(tf.minimum),
  // Comparisons as 0/1 floats built from Step (compare.ts): differentiable paths may read them.
  Greater: binary(greaterMask),
  GreaterEqual: binary(greaterEqualMask),
  Less: binary((a, b) => greaterMask(b, a)),
  LessEqual: binary((a, b) => greaterEqualMask(b, a)),
  Equal: binary((a, b) => tf.mul(greaterEqualMask(a, b), greaterEqualMask(b, a))),
  NotEqual: binary((a, b) => tf.sub(1, tf.mul(greaterEqualMask(a, b), greaterEqualMask(b, a)))),
  Where: ([c, a, b]) => {
    const cond = tf.cast(t(c), 'bool');
    const fill = (v: unknown) => (v instanceof tf.Tensor ? v : tf.fill(cond.shape, Number(v)));
    return tf.where(cond, fill(a), fill(b));
  },
  Negative: unary(tf.neg),
  Absolute: unary(tf.abs),
  Abs: unary(tf.abs),
  Square: unary(tf.square),
  Sqrt: unary(tf.sqrt),
  Rsqrt: unary(tf.rsqrt),
  Reciprocal: unary(tf.reciprocal),
  Exp: unary(tf.exp),
  Log: unary(tf.log),
  Log1p: unary(tf.log1p),
  Sin: unary(tf.sin),
  Cos: unary(tf.cos),
  Tanh: unary(tf.tanh),
  Erf: unary(tf.erf),
  Sign: unary(tf.sign),
  Floor: unary(tf.floor),
  Round: unary(tf.round),
  Sigmoid: unary(tf.sigmoid),
  Relu: unary(tf.relu),
  Relu6: unary(tf.relu6),
  Silu: unary((x) => tf.mul(x, tf.sigmoid(x))),
  Softplus: unary(tf.softplus),
  Softsign: unary((x) => tf.div(x, tf.add(tf.abs(x), 1))),
  LogSigmoid: unary((x) => tf.neg(tf.softplus(tf.neg(x)))),
  HardSigmoid: unary((x) => tf.div(tf.relu6(tf.add(x, 3)), 6)),
  HardSilu: unary((x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6))),
  Gelu: ([x], c) => gelu(t(x), c.approximate !== false),
  LeakyRelu: ([x], c) => leakyRelu(t(x), typeof c.negative_slope === 'number' ? c.negative_slope : 0.2),
  Softmax: ([x], c) => softmax(t(x), (axisOf(c) as number) ?? -1),
  LogSoftmax: ([x], c) => logSoftmax(t(x), (axisOf(c) as number) ?? -1),
  OnesLike: unary((x) => tf.onesLike(float(x))),
  ZerosLike: unary((x) => tf.zerosLike(float(x))),
  Cast: ([x], c) => {
    const d = String(c.dtype ?? 'float32');
    if (d.startsWith('float')) return float(t(x));
    if (d === 'bool') return float(tf.notEqual(t(x), 0));
    return float(tf.cast(t(x), 'int32')); // integers truncate, as a cast does
  },
  Clip: ([x], c) => tf.clipByValue(t(x), Number(c.x_min), Number(c.x_max)),
  Cumsum: ([x], c) => tf.cumsum(t(x), (c.axis as number) ?? 0),
  Mean: ([x], c) => tf.mean(t(x), axisOf(c), c.keepdims === true),
  Sum: ([x], c) => tf.sum(t(x), axisOf(c), c.keepdims === true),
  Max: ([x], c) => tf.max(t(x), axisOf(c), c.keepdims === true),
  Min: ([x], c) => tf.min(t(x), axisOf(c), c.keepdims === true),
  Reshape: ([x], c) =>
    tf.reshape(
      t(x),
      (c.newshape as number[]).map((n) => (n === null ? -1 : n)),
    ),
  Transpose: ([x], c) => tf.transpose(t(x), (c.axes as number[] | null) ?? undefined),
  ExpandDims: ([x], c) => tf.expandDims(t(x), c.axis as number),
  Squeeze: ([x], c) =>
    tf.squeeze(t(x), c.axis === null || c.axis === undefined ? undefined : ([] as number[]).concat(c.axis as number)),
  Concatenate: ([xs], c) => tf.concat((xs as unknown[]).map(t), (c.axis as number) ?? 0),
  Stack: ([xs], c) => tf.stack((xs as unknown[]).map(t), (c.axis as number) ?? 0),
  Matmul: binary((a, b) => tf.matMul(a, b)),
  Flip: ([x], c) => tf.reverse(t(x), axisOf(c)),
  Tile: ([x], c) => tf.tile(t(x), c.repeats as number[]),
  Repeat: ([x], c) => repeat(t(x), c.repeats as number, c.axis as number),
  Split: ([x], c) => tf.split(t(x), c.indices_or_sections as number, (c.axis as number) ?? 0),
  GetItem: ([x, key]) => getItem(t(x), key),
};

/** numpy's repeat along `axis`: each slice `repeats` times in a row. */
function repeat(x: tf.Tensor, repeats: number, axis: number): tf.Tensor {
  const a = axis < 0 ? x.rank + axis : axis;
  const shape = x.shape;
  const expanded = tf.expandDims(x, a + 1);
  const reps = shape.map(() => 1);
  reps.splice(a + 1, 0, repeats);
  const out = [...shape];
  out[a] = shape[a]! * repeats;
  return tf.reshape(tf.tile(expanded, reps), out);
}

/** `x[key]` with ints, slices (step 1) and None-free keys, as Keras saves `__slice__` objects. */
function getItem(x: tf.Tensor, key: unknown): tf.Tensor {
  const keys = Array.isArray(key) ? key : [key];
  const begin: number[] = [];
  const size: number[] = [];
  const drop: number[] = [];
  x.shape.forEach((n, axis) => {
    const k = keys[axis];
    if (
      k === undefined ||
      (isObj(k) && k.class_name === '__slice__' && isObj(k.config) && k.config.start == null && k.config.stop == null)
    ) {
      begin.push(0);
      size.push(-1);
      return;
    }
    if (typeof k === 'number') {
      begin.push(k < 0 ? n + k : k);
      size.push(1);
      drop.push(axis);
      return;
    }
    const c = (k as Obj).config as Obj;
    const norm = (v: unknown, d: number) => (v == null ? d : (v as number) < 0 ? n + (v as number) : Math.min(v as number, n));
    const s = norm(c.start, 0);
    begin.push(s);
    size.push(Math.max(0, norm(c.stop, n) - s));
  });
  const sliced = tf.slice(x, begin, size);
  return drop.length ? tf.squeeze(sliced, drop) : sliced;
}

/** The call's positional args with each tensor reference replaced by the next of `values` (in inbound order). */
export function bindArgs<T>(entry: LayerEntry, values: T[]): unknown[] {
  let k = 0;
  const bind = (v: unknown): unknown => {
    if (isObj(v) && v.class_name === '__keras_tensor__') return values[k++];
    if (Array.isArray(v)) return v.map(bind);
    return v;
  };
  const args = (entry.call?.args ?? []).map(bind);
  if (k !== values.length) fail(`keras op "${entry.name}" (${entry.className}): tensors in keyword arguments are not supported`);
  return args;
}

export const OP_CLASSES = Object.keys(OPS);
/** Ops whose value depends only on their input's shape and dtype. */
const SHAPE_ONLY = new Set(['OnesLike', 'ZerosLike']);

export const opNode: Translator = (entry, inShapes) => {
  const fn = OPS[entry.className] ?? fail(`internal: no keras op ${entry.className}`);
  const shapeRule: OpShape = OP_SHAPES[entry.className] ?? fail(`internal: no shape rule for keras op ${entry.className}`);
  const full = inShapes.map((s) => [-1, ...s]);
  const out = shapeRule(bindArgs(entry, full), entry.config, entry);
  const outs = Array.isArray(out[0]) ? (out as number[][]) : [out as number[]];
  outs.forEach((s) => s[0] === -1 || fail(`keras op "${entry.name}" (${entry.className}) changes the batch axis: not supported`));
  return {
    outShape: outs[0]!.slice(1),
    ...(outs.length > 1 ? { extraOutShapes: outs.slice(1).map((s) => s.slice(1)) } : {}),
    params: [],
    valueFrom: SHAPE_ONLY.has(entry.className) ? 'shape' : 'inputs',
    apply: (inputs) => fn(bindArgs(entry, inputs), entry.config),
  };
};
