/** Checks and descriptions of apply_gradients' (gradient, variable) pairs, with Keras's messages. */
import * as tf from '@tensorflow/tfjs-core';
import { ShardedVariable } from '../variables/sharded-variable';
import type { GradientInput } from './gradients';

type Pair = readonly [GradientInput, tf.Variable | ShardedVariable];

export function unzipPairs(gradsAndVars: Iterable<Pair>): Pair[] {
  if (gradsAndVars == null || typeof (gradsAndVars as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`\`grads_and_vars\` must be a list of (gradient, variable) pairs. Received: ${describe(gradsAndVars)}`);
  }
  const pairs = [...gradsAndVars];
  pairs.forEach((p, i) => {
    if (!Array.isArray(p) || p.length !== 2) {
      throw new TypeError(`\`grads_and_vars\` must be a list of (gradient, variable) pairs; item ${i} is ${describe(p)}.`);
    }
  });
  return pairs;
}

export function describe(v: unknown): string {
  if (v instanceof tf.Tensor) return `<Tensor shape=[${v.shape.join(', ')}] dtype=${v.dtype}>`;
  if (v instanceof ShardedVariable) return `<ShardedVariable '${v.name}'>`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return v === null
    ? 'None'
    : typeof v === 'object'
      ? `an object (${v.constructor?.name ?? 'Object'})`
      : `${typeof v} ${String(v)}`;
}
