/** Translators of the layers that move values around: input, flatten, reshape, permute, padding, cropping, upsampling. */
import * as tf from '@tensorflow/tfjs-core';
import { fail, type LayerEntry } from './config';
import { channelsLast, oneInput, positiveInt, size, type Translator } from './layer-types';

/** The model's input, or a nested model's input fed by the outer graph. */
export const inputLayer: Translator = (entry, inShapes) => ({
  outShape: oneInput(entry, inShapes),
  params: [],
  maskUse: 'pass',
  apply: ([x]) => x!,
});

/** A nested model's own entry: it passes its output layers' values on (several: `<model>:k` the k-th). */
export const nestedModelOutput: Translator = (entry, inShapes) =>
  inShapes.length === 1
    ? { outShape: oneInput(entry, inShapes), params: [], maskUse: 'pass', apply: ([x]) => x! }
    : { outShape: inShapes[0]!, extraOutShapes: inShapes.slice(1), params: [], apply: (xs) => [...xs] };

export const identity: Translator = (entry, inShapes) => ({
  outShape: oneInput(entry, inShapes),
  params: [],
  maskUse: 'pass',
  apply: ([x]) => x!,
});

export const flatten: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  channelsLast(entry);
  return { outShape: [size(inShape)], params: [], apply: ([x]) => tf.reshape(x!, [-1, size(inShape)]) };
};

export const reshape: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  const target = entry.config.target_shape;
  if (
    !Array.isArray(target) ||
    !target.every((n) => Number.isInteger(n) && (n > 0 || n === -1)) ||
    target.filter((n) => n === -1).length > 1
  ) {
    return fail(
      `layer "${entry.name}" (Reshape): target_shape must be positive integers with at most one -1, got ${JSON.stringify(target)}`,
    );
  }
  const known = size((target as number[]).filter((n) => n !== -1));
  const outShape = (target as number[]).map((n) => (n === -1 ? size(inShape) / known : n));
  if (size(outShape) !== size(inShape) || !outShape.every(Number.isInteger)) {
    fail(`layer "${entry.name}" (Reshape): cannot reshape [${inShape}] to ${JSON.stringify(target)}`);
  }
  return { outShape, params: [], apply: ([x]) => tf.reshape(x!, [-1, ...outShape]) };
};

/** `dims`: a permutation of 1..rank (the batch axis stays first). */
export const permute: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  const dims = entry.config.dims;
  const sorted = Array.isArray(dims) ? [...(dims as number[])].sort((a, b) => a - b) : [];
  if (!Array.isArray(dims) || dims.length !== inShape.length || !sorted.every((d, i) => d === i + 1))
    fail(`layer "${entry.name}" (Permute): dims must be a permutation of 1..${inShape.length}, got ${JSON.stringify(dims)}`);
  const perm = [0, ...(dims as number[])];
  return { outShape: (dims as number[]).map((d) => inShape[d - 1]!), params: [], apply: ([x]) => tf.transpose(x!, perm) };
};

export const repeatVector: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  if (inShape.length !== 1) fail(`layer "${entry.name}" (RepeatVector) needs a rank-2 input, got [${inShape}]`);
  const n = positiveInt(entry, 'n');
  return { outShape: [n, inShape[0]!], params: [], apply: ([x]) => tf.tile(tf.expandDims(x!, 1), [1, n, 1]) };
};

/** ((before, after), …) per spatial axis from Keras's int / pair / pair-of-pairs forms. */
function amounts(entry: LayerEntry, key: string, rank: number, fallback: number): [number, number][] {
  const v = entry.config[key] ?? fallback;
  const bad = () =>
    fail(`layer "${entry.name}" (${entry.className}): ${key} ${JSON.stringify(v)} is not a count, a tuple or a tuple of pairs`);
  const one = (e: unknown): [number, number] =>
    Number.isInteger(e) && (e as number) >= 0
      ? [e as number, e as number]
      : Array.isArray(e) && e.length === 2 && e.every((n) => Number.isInteger(n) && n >= 0)
        ? [e[0] as number, e[1] as number]
        : bad();
  if (!Array.isArray(v)) return Array.from({ length: rank }, () => one(v));
  if (rank === 1) return [one(v)];
  if (v.length !== rank) return bad();
  return v.map(one);
}

function spatial(entry: LayerEntry, inShape: number[], rank: number): void {
  channelsLast(entry);
  if (inShape.length !== rank + 1)
    fail(
      `layer "${entry.name}" (${entry.className}) needs a rank-${rank + 2} input (batch, spatial axes, channels), got [${inShape}]`,
    );
}

function zeroPadding(rank: number): Translator {
  return (entry, inShapes) => {
    const inShape = oneInput(entry, inShapes);
    spatial(entry, inShape, rank);
    const pads = amounts(entry, 'padding', rank, 1);
    const outShape = inShape.map((n, i) => (i < rank ? n + pads[i]![0] + pads[i]![1] : n));
    return { outShape, params: [], apply: ([x]) => tf.pad(x!, [[0, 0], ...pads, [0, 0]]) };
  };
}
export const zeroPadding1d = zeroPadding(1);
export const zeroPadding2d = zeroPadding(2);

function cropping(rank: number): Translator {
  return (entry, inShapes) => {
    const inShape = oneInput(entry, inShapes);
    spatial(entry, inShape, rank);
    const crops = amounts(entry, 'cropping', rank, 0);
    const outShape = inShape.map((n, i) => (i < rank ? n - crops[i]![0] - crops[i]![1] : n));
    if (outShape.some((n) => n < 1))
      fail(`layer "${entry.name}" (${entry.className}): cropping ${JSON.stringify(crops)} leaves nothing of [${inShape}]`);
    const begin = [0, ...crops.map((c) => c[0]), 0];
    return { outShape, params: [], apply: ([x]) => tf.slice(x!, begin, [-1, ...outShape]) };
  };
}
export const cropping1d = cropping(1);
export const cropping2d = cropping(2);

/**
 * Nearest-neighbour upsampling by whole factors: each value repeated `size` times along its axis
 * (UpSampling1D's `size`, UpSampling2D's with interpolation "nearest"; bilinear is refused).
 */
function upSampling(rank: number): Translator {
  return (entry, inShapes) => {
    const inShape = oneInput(entry, inShapes);
    spatial(entry, inShape, rank);
    const interpolation = entry.config.interpolation ?? 'nearest';
    if (interpolation !== 'nearest')
      fail(`layer "${entry.name}" (${entry.className}): interpolation "${String(interpolation)}" is not supported (nearest)`);
    const raw = entry.config.size ?? 2;
    const factors = Array.isArray(raw) ? (raw as number[]) : Array.from({ length: rank }, () => raw as number);
    if (factors.length !== rank || !factors.every((f) => Number.isInteger(f) && f > 0))
      fail(`layer "${entry.name}" (${entry.className}): size must be ${rank} positive integers, got ${JSON.stringify(raw)}`);
    const outShape = inShape.map((n, i) => (i < rank ? n * factors[i]! : n));
    return {
      outShape,
      params: [],
      apply: ([x]) => factors.reduce((y, f, axis) => repeatAxis(y, axis + 1, f), x!),
    };
  };
}

/**
 * Each slice along `axis` repeated `f` times in a row, as a rank-4 broadcast [outer, n, 1, inner] →
 * [outer, n, f, inner] (tfjs's nearest-neighbour resize has a wrong gradient and tiles above rank 4
 * have none).
 */
function repeatAxis(x: tf.Tensor, axis: number, f: number): tf.Tensor {
  if (f === 1) return x;
  const shape = x.shape;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const wide = tf.broadcastTo(tf.reshape(x, [outer, shape[axis]!, 1, inner]), [outer, shape[axis]!, f, inner]);
  const out = [...shape];
  out[axis] = shape[axis]! * f;
  return tf.reshape(wide, out);
}

export const upSampling1d = upSampling(1);
export const upSampling2d = upSampling(2);
