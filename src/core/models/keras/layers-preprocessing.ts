/** Preprocessing inside the model: Rescaling and Normalization (its adapted mean and variance, or the config's). */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from '../parts';
import { fail } from './config';
import { fullAxis, oneInput, type Translator } from './layer-types';

/** x · scale + offset (scale and offset numbers, or per-channel lists). */
export const rescaling: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  const value = (key: string, fallback: number): number | number[] => {
    const v = entry.config[key] ?? fallback;
    if (typeof v === 'number' || (Array.isArray(v) && v.every((n) => typeof n === 'number'))) return v as number | number[];
    return fail(`layer "${entry.name}" (Rescaling): ${key} must be a number or a list of numbers, got ${JSON.stringify(v)}`);
  };
  const scale = value('scale', 1);
  const offset = value('offset', 0);
  const t = (v: number | number[]) => (typeof v === 'number' ? v : tf.tensor1d(v));
  return { outShape: inShape, params: [], maskUse: 'pass', apply: ([x]) => tf.add(tf.mul(x!, t(scale)), t(offset)) };
};

/**
 * (x − mean) / max(√variance, 1e-7) per kept axis (Keras's `invert`: mean + x · max(√variance, 1e-7)).
 * Adapted statistics are the layer's non-trainable `mean`, `variance` (and `count`) variables; given
 * in the config, they are constants.
 */
export const normalization: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  const rank = inShape.length + 1;
  const raw = entry.config.axis ?? -1;
  const keep = (Array.isArray(raw) ? raw : raw === null ? [] : [raw])
    .map((a) => fullAxis(Number(a), rank, entry))
    .sort((a, b) => a - b);
  const shape = keep.map((a) => inShape[a - 1]!);
  const broadcast = [1, ...inShape.map((n, i) => (keep.includes(i + 1) ? n : 1))];
  const invert = entry.config.invert === true;
  const given = entry.config.mean !== null && entry.config.mean !== undefined;
  const state: ParamSpec[] = given
    ? []
    : [
        { path: `${entry.name}/mean`, shape, init: { kind: 'zeros' }, h5: { layer: '', index: 0 } },
        { path: `${entry.name}/variance`, shape, init: { kind: 'constant', value: 1 }, h5: { layer: '', index: 1 } },
        { path: `${entry.name}/count`, shape: [], init: { kind: 'zeros' }, h5: { layer: '', index: 2 }, dtype: 'int32' },
      ];
  const constant = (key: string) => {
    const v = entry.config[key];
    const values = typeof v === 'number' ? [v] : Array.isArray(v) ? (v as unknown[]).flat(Infinity) : null;
    if (!values || !values.every((n) => typeof n === 'number'))
      fail(`layer "${entry.name}" (Normalization): ${key} must be a number or a list of numbers, got ${JSON.stringify(v)}`);
    return values as number[];
  };
  const means = given ? constant('mean') : null;
  const variances = given ? constant('variance') : null;
  return {
    outShape: inShape,
    params: [],
    state,
    maskUse: 'pass',
    apply: ([x], _p, ctx) => {
      const stat = (i: 0 | 1, values: number[] | null) =>
        values
          ? tf.reshape(
              tf.tensor(values.length === 1 ? Array(shape.reduce((a, b) => a * b, 1)).fill(values[0]) : values),
              broadcast,
            )
          : tf.reshape(ctx.state!.get(state[i]!.path)!, broadcast);
      const mean = stat(0, means);
      const denom = tf.maximum(tf.sqrt(stat(1, variances)), 1e-7);
      return invert ? tf.add(mean, tf.mul(x!, denom)) : tf.div(tf.sub(x!, mean), denom);
    },
  };
};
