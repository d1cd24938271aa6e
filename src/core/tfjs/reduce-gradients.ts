/**
 * The gradients of Sum and Mean as tfjs writes them (dy reshaped to keep the reduced axes, times a
 * ones tensor of x's shape, divided by the reduced size for Mean), with the ones made by the
 * backend's Fill kernel instead of tf.ones. tf.ones builds a JavaScript array of x's size on every
 * call (512 KiB a step for the Transformer's pooling), garbage that drives the step's collections;
 * Fill writes the same 1.0s in the backend's own memory. Same operations, same values.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs-core';

/** dy broadcast over x's shape: reshape to keep the reduced axes, then times ones. */
function broadcastBack(dy: tf.Tensor, x: tf.Tensor, axis: number | number[]): { spread: tf.Tensor; reduceSize: number } {
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const expanded = x.shape.slice();
  let reduceSize = 1;
  for (const a of axes) {
    reduceSize *= x.shape[a]!;
    expanded[a] = 1;
  }
  return { spread: tf.mul(tf.reshape(dy, expanded), tf.fill(x.shape, 1, 'float32')), reduceSize };
}

const axisOf = (attrs: NamedAttrMap | undefined) => (attrs as unknown as { axis: number | number[] }).axis;

export const sumGradientConfig: GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    return { x: () => broadcastBack(dy as tf.Tensor, x!, axisOf(attrs)).spread };
  },
};

export const meanGradientConfig: GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    return {
      x: () => {
        const { spread, reduceSize } = broadcastBack(dy as tf.Tensor, x!, axisOf(attrs));
        return tf.div(spread, reduceSize);
      },
    };
  },
};
