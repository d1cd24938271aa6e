/**
 * Keras regularizers (L1, L2, L1L2) on a layer's variables and outputs, added to the loss as Keras 3
 * adds them: the model's loss is the compiled loss (a batch mean) plus Σ l1·Σ|w| + l2·Σw² over the
 * regularized variables, plus each activity regularizer of an output divided by the batch size. In the
 * step's loss sum (the batch mean × the global batch) the weight terms are counted once, × the global
 * batch, on one device, and the activity terms are each device's sum over its own examples. Constraints
 * are refused: they would clip weights after each update, which this trainer does not do.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from '../parts';
import { fail, isObj, type LayerEntry } from './config';

export interface Penalty {
  l1: number;
  l2: number;
}

/** A regularized variable of a layer. */
export interface WeightPenalty extends Penalty {
  path: string;
}

export const REFUSED_CONSTRAINTS = [
  'kernel_constraint',
  'bias_constraint',
  'depthwise_constraint',
  'pointwise_constraint',
  'embeddings_constraint',
  'gamma_constraint',
  'beta_constraint',
  'recurrent_constraint',
  'alpha_constraint',
];

const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);

/** A serialized regularizer → its l1/l2 weights; null for none. */
export function penaltyOf(raw: unknown, where: string): Penalty | null {
  if (raw === null || raw === undefined) return null;
  const name = typeof raw === 'string' ? raw : isObj(raw) ? String(raw.class_name ?? '') : '';
  const c = isObj(raw) && isObj(raw.config) ? raw.config : {};
  switch (name.toLowerCase()) {
    case 'l1':
      return { l1: num(c.l1, 0.01), l2: 0 };
    case 'l2':
      return { l1: 0, l2: num(c.l2, 0.01) };
    case 'l1l2':
    case 'l1_l2':
      return { l1: num(c.l1, 0), l2: num(c.l2, 0) };
    default:
      return fail(`${where}: regularizer ${JSON.stringify(raw)} is not supported (L1, L2, L1L2)`);
  }
}

/**
 * The layer's weight regularizers (config key → index into `params`); constraints are refused. Keys
 * for absent variables (a bias with use_bias false) are ignored, as Keras ignores them.
 */
export function regularizersOf(entry: LayerEntry, params: ParamSpec[], keys: Record<string, number>): WeightPenalty[] {
  for (const k of REFUSED_CONSTRAINTS) {
    const v = entry.config[k];
    if (v !== undefined && v !== null)
      fail(`layer "${entry.name}" (${entry.className}): ${k} is not supported (got ${JSON.stringify(v)})`);
  }
  const out: WeightPenalty[] = [];
  for (const [key, index] of Object.entries(keys)) {
    const p = penaltyOf(entry.config[key], `layer "${entry.name}" ${key}`);
    const target = params.find((q) => q.h5?.index === index && !q.h5?.layer) ?? params[index];
    if (p && target) out.push({ ...p, path: target.path });
  }
  return out;
}

/** l1·Σ|x| + l2·Σx², as a scalar tensor. */
export function penaltyTensor(x: tf.Tensor, p: Penalty): tf.Scalar {
  let s = tf.scalar(0);
  if (p.l1 !== 0) s = tf.add(s, tf.mul(p.l1, tf.sum(tf.abs(x))));
  if (p.l2 !== 0) s = tf.add(s, tf.mul(p.l2, tf.sum(tf.square(x))));
  return s as tf.Scalar;
}
