/** Checks and descriptions of apply_gradients' (gradient, variable) pairs, with Keras's messages. */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError, warn } from '../errors';
import { ShardedVariable } from '../variables/sharded-variable';
import type { GradientInput } from './gradients';

type Variable = tf.Variable | ShardedVariable;
type Pair = readonly [GradientInput, Variable];
/** A pair whose gradient is there. */
export type PresentPair = [Exclude<GradientInput, null | undefined>, Variable];

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

/** The pairs that have a gradient; none is an error, some missing a warning (Keras's texts). */
export function dropMissingGradients(pairs: readonly Pair[], nameOf: (v: Variable) => string): PresentPair[] {
  const present = pairs.filter(([g]) => g != null) as PresentPair[];
  const missing = pairs.filter(([g]) => g == null).map(([, v]) => nameOf(v));
  if (present.length === 0) {
    const list = `[${missing.map((n) => `'${n}'`).join(', ')}]`;
    throw new ValueError(
      `No gradients provided for any variable: (${list},). Provided \`grads_and_vars\` is (${missing.map((n) => `(None, <Variable '${n}'>)`).join(', ')}).`,
    );
  }
  if (missing.length > 0) {
    warn(
      `Gradients do not exist for variables [${missing.map((n) => `'${n}'`).join(', ')}] when minimizing the loss. If you're using \`model.compile()\`, did you forget to provide a \`loss\` argument?`,
    );
  }
  return present;
}
