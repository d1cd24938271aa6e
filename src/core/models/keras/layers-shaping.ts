/** Translators of the layers without variables: input, pooling, reshaping, dropout, activation, merges. */
import * as tf from '@tensorflow/tfjs-core';
import { dropoutMaskTensor } from '../../tfjs/dropout-mask';
import { activationOf } from './activations';
import { fail } from './config';
import { channelsLast, fullAxis, numberOf, oneInput, pairOf, paddingOf, size, windowShape, type Translator } from './layer-types';

export const inputLayer: Translator = (entry, inShapes) => ({
  outShape: oneInput(entry, inShapes),
  params: [],
  apply: ([x]) => x!,
});

function pooling(kind: 'max' | 'avg'): Translator {
  return (entry, inShapes) => {
    const inShape = oneInput(entry, inShapes);
    channelsLast(entry);
    const k = pairOf(entry.config.pool_size, [2, 2], 'pool_size', entry);
    const s = pairOf(entry.config.strides, k, 'strides', entry);
    const pad = paddingOf(entry);
    const outShape = windowShape(entry, inShape, k, s, pad, inShape[2] ?? 0);
    const op = kind === 'max' ? tf.maxPool : tf.avgPool;
    return {
      outShape,
      params: [],
      ...(kind === 'max' ? { maxPool: { size: k, strides: s, pad } } : {}),
      apply: ([x]) => op(x as tf.Tensor4D, k, s, pad),
    };
  };
}
export const maxPooling2d = pooling('max');
export const averagePooling2d = pooling('avg');

function globalAverage(spatialRank: number): Translator {
  return (entry, inShapes) => {
    const inShape = oneInput(entry, inShapes);
    channelsLast(entry);
    if (inShape.length !== spatialRank + 1)
      fail(`layer "${entry.name}" (${entry.className}) needs a rank-${spatialRank + 1} input, got [${inShape}]`);
    const keep = entry.config.keepdims === true;
    const axes = Array.from({ length: spatialRank }, (_, i) => i + 1);
    const channels = inShape[spatialRank]!;
    return {
      outShape: keep ? [...axes.map(() => 1), channels] : [channels],
      params: [],
      apply: ([x]) => tf.mean(x!, axes, keep),
    };
  };
}
export const globalAveragePooling1d = globalAverage(1);
export const globalAveragePooling2d = globalAverage(2);

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

/** Our seeded masks (Keras's RNG is not reproducible here); rate 0 or inference is the identity, as in Keras. */
export const dropout: Translator = (entry, inShapes, state) => {
  const inShape = oneInput(entry, inShapes);
  const rate = numberOf(entry.config, 'rate', 0, entry);
  if (!(rate >= 0 && rate < 1)) fail(`layer "${entry.name}" (Dropout): rate must be in [0, 1), got ${rate}`);
  if (entry.config.noise_shape != null) fail(`layer "${entry.name}" (Dropout): noise_shape is not supported`);
  const index = state.dropouts++;
  return {
    outShape: inShape,
    params: [],
    apply: ([x], _p, ctx) => {
      if (!ctx.training || rate === 0) return x!;
      if (ctx.dropoutSeed === undefined)
        throw new Error(`forward: layer "${entry.name}" is a dropout layer: pass dropoutSeed when training`);
      const batch = x!.shape[0]!;
      return tf.mul(x!, dropoutMaskTensor(rate, ctx.dropoutSeed, index, ctx.exampleOffset, batch, size(inShape), x!.shape));
    },
  };
};

export const activation: Translator = (entry, inShapes) => {
  const act = activationOf(entry.config.activation, entry.name);
  return { outShape: oneInput(entry, inShapes), params: [], activation: act.name, apply: ([x]) => act.fn(x!) };
};

export const concatenate: Translator = (entry, inShapes) => {
  if (inShapes.length < 2) fail(`layer "${entry.name}" (Concatenate) needs at least two inputs, got ${inShapes.length}`);
  const rank = inShapes[0]!.length + 1;
  const axis = fullAxis(numberOf(entry.config, 'axis', -1, entry), rank, entry);
  const outShape = [...inShapes[0]!];
  inShapes.slice(1).forEach((s) => {
    const same = s.length === rank - 1 && s.every((n, i) => i === axis - 1 || n === outShape[i]);
    if (!same)
      fail(
        `layer "${entry.name}" (Concatenate): input shapes [${inShapes.map((x) => `[${x}]`).join(', ')}] differ off axis ${axis}`,
      );
    outShape[axis - 1]! += s[axis - 1]!;
  });
  return { outShape, params: [], apply: (xs) => tf.concat(xs, axis) };
};

export const add: Translator = (entry, inShapes) => {
  if (inShapes.length < 2) fail(`layer "${entry.name}" (Add) needs at least two inputs, got ${inShapes.length}`);
  if (inShapes.some((s) => s.join() !== inShapes[0]!.join()))
    fail(`layer "${entry.name}" (Add): input shapes [${inShapes.map((x) => `[${x}]`).join(', ')}] differ`);
  return { outShape: [...inShapes[0]!], params: [], apply: (xs) => xs.reduce((a, b) => tf.add(a, b)) };
};
