/**
 * Random layers: Dropout (with noise_shape), SpatialDropout1D/2D, GaussianNoise, GaussianDropout,
 * AlphaDropout, and keras.applications' StochasticDepth. One rule for all of them (README, "Random
 * layers"): the k-th random layer of the model draws, at step t, from a stream keyed by
 * (hash(run seed, t), k); element j of global example e is counter e·n + j, n the noise elements per
 * example. So a device draws its slice's noise without the others', and N devices draw what one
 * does. Inference (and rate 0) is the identity, as in Keras.
 */
import * as tf from '@tensorflow/tfjs-core';
import { normalNoise } from '../../random/normal-noise';
import { dropoutMaskTensor } from '../../tfjs/dropout-mask';
import { fail, type LayerEntry } from './config';
import { numberOf, oneInput, size, type LayerContext, type Translator } from './layer-types';

function seedOf(ctx: LayerContext, entry: LayerEntry): number {
  if (ctx.dropoutSeed === undefined)
    throw new Error(`forward: layer "${entry.name}" is a random layer: pass dropoutSeed when training`);
  return ctx.dropoutSeed;
}

/** The per-example noise shape: Keras's noise_shape without its batch axis (null = the input's). */
function noiseShapeOf(entry: LayerEntry, inShape: number[]): number[] {
  const raw = entry.config.noise_shape;
  if (raw === null || raw === undefined) return inShape;
  if (!Array.isArray(raw) || raw.length !== inShape.length + 1)
    return fail(
      `layer "${entry.name}" (${entry.className}): noise_shape ${JSON.stringify(raw)} does not fit the input [${inShape}]`,
    );
  return raw.slice(1).map((n, i) => {
    if (n === null) return inShape[i]!;
    if (n !== 1 && n !== inShape[i])
      fail(`layer "${entry.name}": noise_shape ${JSON.stringify(raw)} does not broadcast to [${inShape}]`);
    return n as number;
  });
}

function rateOf(entry: LayerEntry, key = 'rate'): number {
  const rate = numberOf(entry.config, key, 0, entry);
  if (!(rate >= 0 && rate < 1)) fail(`layer "${entry.name}" (${entry.className}): ${key} must be in [0, 1), got ${rate}`);
  return rate;
}

/** Inverted dropout with a mask of `noise` elements per example, broadcast over the input. */
function dropoutWith(noise: (entry: LayerEntry, inShape: number[]) => number[], key = 'rate'): Translator {
  return (entry, inShapes, state) => {
    const inShape = oneInput(entry, inShapes);
    const rate = rateOf(entry, key);
    const shape = noise(entry, inShape);
    const index = state.dropouts++;
    return {
      outShape: inShape,
      params: [],
      maskUse: 'pass',
      apply: ([x], _p, ctx) => {
        if (!ctx.training || rate === 0) return x!;
        const batch = x!.shape[0]!;
        const mask = dropoutMaskTensor(rate, seedOf(ctx, entry), index, ctx.exampleOffset, batch, size(shape), [batch, ...shape]);
        return tf.mul(x!, mask);
      },
    };
  };
}

export const dropout = dropoutWith(noiseShapeOf);
export const spatialDropout1d = dropoutWith((e, s) =>
  s.length === 2 ? [1, s[1]!] : fail(`layer "${e.name}" (SpatialDropout1D) needs a rank-3 input`),
);
export const spatialDropout2d = dropoutWith((e, s) =>
  s.length === 3 ? [1, 1, s[2]!] : fail(`layer "${e.name}" (SpatialDropout2D) needs a rank-4 input`),
);
/** ConvNeXt's StochasticDepth: one keep-or-drop per example, (x / keep) · ⌊keep + u⌋. */
export const stochasticDepth = dropoutWith((_e, s) => s.map(() => 1), 'drop_path_rate');

function gaussian(kind: 'noise' | 'dropout'): Translator {
  return (entry, inShapes, state) => {
    const inShape = oneInput(entry, inShapes);
    const amount = kind === 'noise' ? numberOf(entry.config, 'stddev', 0, entry) : rateOf(entry);
    const index = state.dropouts++;
    return {
      outShape: inShape,
      params: [],
      maskUse: 'pass',
      apply: ([x], _p, ctx) => {
        if (!ctx.training || amount === 0) return x!;
        const batch = x!.shape[0]!;
        const [mean, stddev] = kind === 'noise' ? [0, amount] : [1, Math.sqrt(amount / (1 - amount))];
        const draws = normalNoise(seedOf(ctx, entry), index, ctx.exampleOffset, batch, size(inShape), mean, stddev);
        const t = tf.tensor(draws, x!.shape, 'float32');
        return kind === 'noise' ? tf.add(x!, t) : tf.mul(x!, t);
      },
    };
  };
}
export const gaussianNoise = gaussian('noise');
export const gaussianDropout = gaussian('dropout');

/** Keras's AlphaDropout: dropped units set to −α·λ (SELU's saturation), then a·x + b keeps mean and variance. */
export const alphaDropout: Translator = (entry, inShapes, state) => {
  const inShape = oneInput(entry, inShapes);
  const rate = rateOf(entry);
  const shape = noiseShapeOf(entry, inShape);
  const index = state.dropouts++;
  const alphaP = -1.6732632423543772 * 1.0507009873554805;
  const a = ((1 - rate) * (1 + rate * alphaP ** 2)) ** -0.5;
  const b = -a * alphaP * rate;
  return {
    outShape: inShape,
    params: [],
    maskUse: 'pass',
    apply: ([x], _p, ctx) => {
      if (!ctx.training || rate === 0) return x!;
      const batch = x!.shape[0]!;
      // The dropout mask is 0 or 1/(1 − rate): times (1 − rate), the kept indicator.
      const kept = tf.mul(
        dropoutMaskTensor(rate, seedOf(ctx, entry), index, ctx.exampleOffset, batch, size(shape), [batch, ...shape]),
        1 - rate,
      );
      const y = tf.add(tf.mul(x!, kept), tf.mul(alphaP, tf.sub(1, kept)));
      return tf.add(tf.mul(y, a), b);
    },
  };
};
