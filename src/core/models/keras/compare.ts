/**
 * Comparisons on values that are differentiated: tfjs registers no gradient for Greater, Less, … so a
 * `where` whose condition depends on a parameter fails in backward ("gradient function not found for
 * Greater"). These build the condition from Step, whose gradient is zero, as a comparison's is.
 */
import * as tf from '@tensorflow/tfjs-core';

/** 1 where a > b, else 0 (float32). */
export const greaterMask = (a: tf.Tensor | number, b: tf.Tensor | number): tf.Tensor => tf.step(tf.sub(a, b));
/** 1 where a ≥ b, else 0. */
export const greaterEqualMask = (a: tf.Tensor | number, b: tf.Tensor | number): tf.Tensor => tf.sub(1, tf.step(tf.sub(b, a)));
/** where(mask, a, b) for a 0/1 float mask. */
export const select = (mask: tf.Tensor, a: tf.Tensor | number, b: tf.Tensor | number): tf.Tensor =>
  tf.where(
    tf.cast(mask, 'bool'),
    typeof a === 'number' ? tf.fill(mask.shape, a) : a,
    typeof b === 'number' ? tf.fill(mask.shape, b) : b,
  );
