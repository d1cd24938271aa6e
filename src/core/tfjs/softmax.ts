/**
 * softmax(scale·x) over the last axis, the attention's probabilities from its logits: forward tfjs's
 * Mul and Softmax; backward one fused kernel where the backend has it (wasm with the native addon:
 * kernels/softmax-grad.ts), else tfjs's own gradients of the two ops. Both are y·(dy − Σ dy·y)·scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';
import { SOFTMAX_GRAD } from './kernels/softmax-grad';

function fused(scale: number) {
  return tf.customGrad((x, save) => {
    const y = tf.softmax(tf.mul(x as tf.Tensor, scale));
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
