/**
 * Layer normalization over x's trailing axes (Keras 3's LayerNormalization): one fused kernel each way
 * where the backend has them (wasm with the project kernels: kernels/layer-norm.ts), else tfjs's
 * moments and elementwise ops. Both follow y = x·inv + (β − mean·inv), inv = rsqrt(var + ε)·γ.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';
import { LAYER_NORM, LAYER_NORM_GRAD } from './kernels/layer-norm';

function fusable(x: tf.Tensor, cols: number): boolean {
  if (x.dtype !== 'float32' || cols === 0 || x.size === 0) return false;
  const backend = tf.getBackend();
  return getKernel(LAYER_NORM, backend) !== undefined && getKernel(LAYER_NORM_GRAD, backend) !== undefined;
}

function fused(epsilon: number) {
  return tf.customGrad((x, gamma, beta, save) => {
    const [y, mean, rstd] = tf
      .engine()
      .runKernel(
        LAYER_NORM,
        { x: x as tf.Tensor, gamma: gamma as tf.Tensor, beta: beta as tf.Tensor },
        { epsilon },
      ) as tf.Tensor[];
    (save as tf.GradSaveFunc)([x as tf.Tensor, mean!, rstd!, gamma as tf.Tensor]);
    return {
      value: y!,
      gradFunc: (dy, saved) => {
        const [sx, sm, sr, sg] = saved;
        return tf
          .engine()
          .runKernel(LAYER_NORM_GRAD, { dy: dy as tf.Tensor, x: sx!, mean: sm!, rstd: sr!, gamma: sg! }) as tf.Tensor[];
      },
    };
  });
}

function unfused(x: tf.Tensor, axes: number[], epsilon: number, gamma?: tf.Tensor, beta?: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, axes, true);
  let inv = tf.rsqrt(tf.add(variance, epsilon));
  if (gamma) inv = tf.mul(inv, gamma);
  let res = tf.neg(tf.mul(mean, inv));
  if (beta) res = tf.add(res, beta);
  return tf.add(tf.mul(x, inv), res);
}

/**
 * Normalizes x over `axes` (sorted); γ and β (optional) have the normalized axes' shape broadcast
 * against x (`broadcast`: x's rank, 1 on the other axes).
 */
export function layerNorm(
  x: tf.Tensor,
  axes: number[],
  epsilon: number,
  broadcast: number[],
  gamma?: tf.Tensor,
  beta?: tf.Tensor,
): tf.Tensor {
  const trailing = axes.every((a, i) => a === x.rank - axes.length + i);
  const cols = axes.reduce((n, a) => n * x.shape[a]!, 1);
  if (!trailing || !fusable(x, cols)) {
    const g = gamma && tf.reshape(gamma, broadcast);
    const b = beta && tf.reshape(beta, broadcast);
    return unfused(x, axes, epsilon, g, b);
  }
  // γ and β of one axis are already [cols]: a Reshape there is a kernel call forward and one backward.
  const asRow = (t: tf.Tensor) => (t.rank === 1 ? t : tf.reshape(t, [cols]));
  const g = gamma ? asRow(gamma) : tf.ones([cols]);
  const b = beta ? asRow(beta) : tf.zeros([cols]);
  return fused(epsilon)(x, g, b) as tf.Tensor;
}
