/**
 * relu(x + bias) for a layer's bias and relu activation: one fused kernel each way where the backend
 * has them (wasm with the project kernels, a bias of whole v128s), else tfjs's add and relu. The two
 * give the same values and gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';
import { BIAS_RELU, BIAS_RELU_GRAD } from './kernels/bias-relu';

function fusable(x: tf.Tensor, bias: tf.Tensor): boolean {
  if (x.dtype !== 'float32' || bias.dtype !== 'float32' || bias.size % 4 !== 0 || bias.size === 0) return false;
  // The bias must be x's trailing dimensions (a leading 1 aside), as for a Dense or Conv2D bias.
  const bs = bias.shape.filter((d, i) => !(d === 1 && i === 0 && bias.rank > 1));
  if (bs.length > x.rank || !bs.every((d, i) => d === x.shape[x.rank - bs.length + i])) return false;
  const backend = tf.getBackend();
  return getKernel(BIAS_RELU, backend) !== undefined && getKernel(BIAS_RELU_GRAD, backend) !== undefined;
}

const fused = tf.customGrad((x, bias, save) => {
  const xt = x as tf.Tensor;
  const bt = bias as tf.Tensor;
  const y = tf.engine().runKernel(BIAS_RELU, { x: xt, bias: bt }) as tf.Tensor;
  (save as tf.GradSaveFunc)([y]);
  return {
    value: y,
    gradFunc: (dy, saved) => {
      const [dx, db] = tf
        .engine()
        .runKernel(BIAS_RELU_GRAD, { dy: dy as tf.Tensor, y: saved[0]! }, { biasSize: bt.size }) as tf.Tensor[];
      return [dx!, tf.reshape(db!, bt.shape)];
    },
  };
});

export function biasRelu(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return fusable(x, bias) ? (fused(x, bias) as tf.Tensor) : tf.relu(tf.add(x, bias));
}
