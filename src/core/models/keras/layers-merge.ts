/** Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum (broadcasting as Keras), Concatenate, Dot. */
import * as tf from '@tensorflow/tfjs-core';
import { fail } from './config';
import { fullAxis, numberOf, type Translator } from './layer-types';

const shapesText = (inShapes: number[][]) => inShapes.map((x) => `[${x}]`).join(', ');

/** numpy's broadcast of shapes of one rank (Keras's merges broadcast: EfficientNet's squeeze-excite multiplies [h, w, c] by [1, 1, c]). */
function broadcastShapes(entry: { name: string }, what: string, inShapes: number[][]): number[] {
  const rank = inShapes[0]!.length;
  if (inShapes.some((s) => s.length !== rank))
    fail(`layer "${entry.name}" (${what}): input shapes ${shapesText(inShapes)} differ in rank`);
  return inShapes[0]!.map((_, i) => {
    const dims = [...new Set(inShapes.map((s) => s[i]!).filter((d) => d !== 1))];
    if (dims.length > 1) fail(`layer "${entry.name}" (${what}): input shapes ${shapesText(inShapes)} do not broadcast`);
    return dims[0] ?? 1;
  });
}

/** An elementwise merge, folded left to right as Keras's `_merge_function`. */
function elementwise(what: string, min: number, max: number, fold: (xs: tf.Tensor[]) => tf.Tensor): Translator {
  return (entry, inShapes) => {
    if (inShapes.length < min || inShapes.length > max)
      fail(`layer "${entry.name}" (${what}) takes ${min === max ? min : `at least ${min}`} inputs, got ${inShapes.length}`);
    return { outShape: broadcastShapes(entry, what, inShapes), params: [], maskUse: 'merge', apply: (xs) => fold(xs) };
  };
}

const reduce = (op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (xs: tf.Tensor[]) => xs.reduce((a, b) => op(a, b));

export const add = elementwise('Add', 2, Infinity, reduce(tf.add));
export const subtract = elementwise('Subtract', 2, 2, ([a, b]) => tf.sub(a!, b!));
export const multiply = elementwise('Multiply', 2, Infinity, reduce(tf.mul));
export const maximum = elementwise('Maximum', 2, Infinity, reduce(tf.maximum));
export const minimum = elementwise('Minimum', 2, Infinity, reduce(tf.minimum));
// Keras: the sum, then divided by the count.
export const average = elementwise('Average', 2, Infinity, (xs) => tf.div(reduce(tf.add)(xs), xs.length));

export const concatenate: Translator = (entry, inShapes) => {
  if (inShapes.length < 2) fail(`layer "${entry.name}" (Concatenate) needs at least two inputs, got ${inShapes.length}`);
  const rank = inShapes[0]!.length + 1;
  const axis = fullAxis(numberOf(entry.config, 'axis', -1, entry), rank, entry);
  const outShape = [...inShapes[0]!];
  inShapes.slice(1).forEach((s) => {
    const same = s.length === rank - 1 && s.every((n, i) => i === axis - 1 || n === outShape[i]);
    if (!same) fail(`layer "${entry.name}" (Concatenate): input shapes ${shapesText(inShapes)} differ off axis ${axis}`);
    outShape[axis - 1]! += s[axis - 1]!;
  });
  return {
    outShape,
    params: [],
    maskUse: 'concat',
    apply: (xs) => tf.concat(xs, axis),
  };
};

/** Dot of two rank-2 inputs over their last axis (`axes` -1 or 1), optionally L2-normalized first. */
export const dot: Translator = (entry, inShapes) => {
  if (inShapes.length !== 2) fail(`layer "${entry.name}" (Dot) takes two inputs, got ${inShapes.length}`);
  const [a, b] = inShapes as [number[], number[]];
  const axes = entry.config.axes;
  const ok = (v: unknown) => v === -1 || v === 1;
  if (a.length !== 1 || b.length !== 1 || a[0] !== b[0] || !(ok(axes) || (Array.isArray(axes) && axes.every(ok))))
    fail(
      `layer "${entry.name}" (Dot): only two vectors dotted over their axis are supported, got ${shapesText(inShapes)} axes ${JSON.stringify(axes)}`,
    );
  const normalize = entry.config.normalize === true;
  const unit = (x: tf.Tensor) => tf.mul(x, tf.minimum(tf.rsqrt(tf.sum(tf.square(x), -1, true)), 1e12));
  return {
    outShape: [1],
    params: [],
    apply: ([x, y]) => tf.sum(tf.mul(normalize ? unit(x!) : x!, normalize ? unit(y!) : y!), -1, true),
  };
};
