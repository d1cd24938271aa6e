/**
 * softmax(scale·x) over the last axis, the attention's probabilities from its logits: forward one
 * kernel where the backend has it (wasm with the native addon: kernels/scaled-softmax.ts), else tfjs's
 * Mul and Softmax; backward one fused kernel there too (kernels/softmax-grad.ts), else tfjs's own
 * gradients of the two ops. Both are y·(dy − Σ dy·y)·scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';
import { SOFTMAX_GRAD } from './kernels/softmax-grad';
import { SCALED_SOFTMAX } from './kernels/scaled-softmax';

function forward(x: tf.Tensor, scale: number): tf.Tensor {
  if (getKernel(SCALED_SOFTMAX, tf.getBackend()) !== undefined)
    return tf.engine().runKernel(SCALED_SOFTMAX, { x }, { scale }) as tf.Tensor;
  return tf.softmax(tf.mul(x, scale));
}

function fused(scale: number) {
  return tf.customGrad((x, save) => {
    const y = forward(x as tf.Tensor, scale);
    (save as tf.GradSaveFunc)([y]);
    return {
      value: y,
      gradFunc: (dy, [saved]) => tf.engine().runKernel(SOFTMAX_GRAD, { dy: dy as tf.Tensor, y: saved! }, { scale }) as tf.Tensor,
    };
  });
}

export function scaledSoftmax(x: tf.Tensor, scale: number): tf.Tensor {
  const fusable = x.dtype === 'float32' && x.size > 0 && getKernel(SOFTMAX_GRAD, tf.getBackend()) !== undefined;
  return fusable ? (fused(scale)(x) as tf.Tensor) : tf.softmax(tf.mul(x, scale));
}
