/**
 * maxPool(relu(x + bias)) — a conv layer's bias and relu followed by a max-pool — as one op: fused
 * kernels each way where the backend has them and the pool tiles (see kernels/bias-relu-pool.ts),
 * else biasRelu then maxPool. The same values and gradients either way.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';
import { biasRelu } from './bias-relu';
import { BIAS_RELU_POOL, BIAS_RELU_POOL_GRAD, fusedPoolInfo, type PoolAttrs } from './kernels/bias-relu-pool';

function fusable(x: tf.Tensor, bias: tf.Tensor, attrs: PoolAttrs): boolean {
  if (x.dtype !== 'float32' || bias.dtype !== 'float32' || x.rank !== 4 || bias.size !== x.shape[3]) return false;
  const backend = tf.getBackend();
  if (getKernel(BIAS_RELU_POOL, backend) === undefined || getKernel(BIAS_RELU_POOL_GRAD, backend) === undefined) return false;
  return fusedPoolInfo(x.shape, attrs) !== null;
}

function fused(attrs: PoolAttrs) {
  return tf.customGrad((x, bias, save) => {
    const xt = x as tf.Tensor;
    const bt = bias as tf.Tensor;
    (save as tf.GradSaveFunc)([xt, bt]);
    const y = tf.engine().runKernel(BIAS_RELU_POOL, { x: xt, bias: bt }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [dx, db] = tf
          .engine()
          .runKernel(
            BIAS_RELU_POOL_GRAD,
            { dy: dy as tf.Tensor, x: saved[0]!, bias: saved[1]! },
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[];
        return [dx!, tf.reshape(db!, bt.shape)];
      },
    };
  });
}

export function biasReluMaxPool(
  x: tf.Tensor4D,
  bias: tf.Tensor,
  filterSize: [number, number],
  strides: [number, number],
  pad: 'valid' | 'same',
): tf.Tensor4D {
  const attrs: PoolAttrs = { filterSize, strides, pad };
  if (fusable(x, bias, attrs)) return fused(attrs)(x, bias) as tf.Tensor4D;
  return tf.maxPool(biasRelu(x, bias) as tf.Tensor4D, filterSize, strides, pad);
}
