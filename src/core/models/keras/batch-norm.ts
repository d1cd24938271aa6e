/**
 * BatchNormalization's training step over the global batch. Keras 3 on JAX with a data-parallel mesh
 * takes a jitted mean over the whole (sharded) batch, so the statistics are the global batch's. Here
 * each device holds a slice: forward sums its rows per channel and all-reduces the sums (count, Σx,
 * then Σ(x − mean)², the two-pass variance jnp.var computes), and backward all-reduces Σdy and Σdy·x̂,
 * which the input's gradient needs from every example. With one device there is nothing to reduce and
 * the same formulas run locally, so N devices equal one up to the rounding of the sums.
 *
 * The gradient (y = γ·x̂ + β, x̂ = (x − μ)·rsqrt(σ² + ε), μ and σ² over M rows):
 *   dβ = Σdy, dγ = Σdy·x̂ (this device's rows: the gradient exchange sums them over devices),
 *   dx = γ·rsqrt(σ² + ε)/M · (M·dy − Σdy − x̂·Σdy·x̂) (global sums).
 */
import * as tf from '@tensorflow/tfjs-core';

type AllReduce = (data: Float32Array) => void;

/** Inference: the moving statistics, in Keras's formula. */
export function batchNormInference(
  x: tf.Tensor,
  mean: tf.Tensor,
  variance: tf.Tensor,
  eps: number,
  gamma?: tf.Tensor,
  beta?: tf.Tensor,
) {
  let inv = tf.rsqrt(tf.add(variance, eps));
  if (gamma) inv = tf.mul(inv, gamma);
  let res = tf.neg(tf.mul(mean, inv));
  if (beta) res = tf.add(res, beta);
  return tf.add(tf.mul(x, inv), res);
}

/** Per-channel sums of `rows` ([M, C]), summed over the devices with the row count appended; returns [sums, M]. */
function globalSums(rows: tf.Tensor2D, allReduce: AllReduce | undefined): { sums: tf.Tensor1D; count: number } {
  const local = tf.sum(rows, 0) as tf.Tensor1D;
  if (!allReduce) return { sums: local, count: rows.shape[0] };
  const c = rows.shape[1];
  const host = new Float32Array(c + 1);
  host.set(local.dataSync() as Float32Array);
  host[c] = rows.shape[0];
  local.dispose();
  allReduce(host);
  return { sums: tf.tensor1d(host.subarray(0, c)), count: host[c]! };
}

interface TrainingOutputs {
  y: tf.Tensor;
  /** The global batch's mean and (biased) variance per channel, for the moving statistics (kept: the caller disposes them). */
  mean: tf.Tensor;
  variance: tf.Tensor;
}

/**
 * The training forward, differentiable in x, γ and β (γ and β may be absent). `allReduce` sums over
 * the data-parallel devices; every device must call this for the same layers in the same order.
 */
export function batchNormTraining(
  x: tf.Tensor,
  eps: number,
  gamma: tf.Tensor | undefined,
  beta: tf.Tensor | undefined,
  allReduce: AllReduce | undefined,
): TrainingOutputs {
  const channels = x.shape[x.rank - 1]!;
  let mean!: tf.Tensor;
  let variance!: tf.Tensor;
  const op = tf.customGrad((xIn, gIn, bIn, save) => {
    const rows = tf.reshape(xIn as tf.Tensor, [-1, channels]) as tf.Tensor2D;
    const s1 = globalSums(rows, allReduce);
    const mu = tf.div(s1.sums, s1.count);
    const centered = tf.sub(rows, mu);
    const s2 = globalSums(tf.square(centered) as tf.Tensor2D, allReduce);
    const sigma2 = tf.div(s2.sums, s2.count);
    mean = tf.keep(mu);
    variance = tf.keep(sigma2);
    const rstd = tf.rsqrt(tf.add(sigma2, eps));
    const inv = tf.mul(rstd, gIn as tf.Tensor);
    // (x − μ)·inv + β, not Keras's x·inv + (β − μ·inv): the same in exact arithmetic, but the latter
    // cancels two large terms where |μ| ≫ σ, and a ReLU after it then decides on rounding noise
    // (docs/keras-models.md, "Whole architectures").
    const y = tf.reshape(tf.add(tf.mul(centered, inv), bIn as tf.Tensor), (xIn as tf.Tensor).shape);
    (save as tf.GradSaveFunc)([centered, rstd, gIn as tf.Tensor, tf.scalar(s1.count)]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [c, r, g, m] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Scalar];
        const dyRows = tf.reshape(dy as tf.Tensor, [-1, channels]) as tf.Tensor2D;
        const xhat = tf.mul(c, r);
        const dBeta = tf.sum(dyRows, 0);
        const dGamma = tf.sum(tf.mul(dyRows, xhat), 0);
        const [sdy, sdyx] = deviceSums([dBeta, dGamma], allReduce);
        const count = m.dataSync()[0]!;
        const scale = tf.div(tf.mul(g, r), count);
        const inner = tf.sub(tf.sub(tf.mul(dyRows, count), sdy), tf.mul(xhat, sdyx));
        const dx = tf.reshape(tf.mul(inner, scale), (dy as tf.Tensor).shape);
        return [dx, tf.reshape(dGamma, (gIn as tf.Tensor).shape), tf.reshape(dBeta, (bIn as tf.Tensor).shape)];
      },
    };
  });
  const g = gamma ?? tf.ones([channels]);
  const b = beta ?? tf.zeros([channels]);
  const y = op(x, g, b) as tf.Tensor;
  return { y, mean, variance };
}

/** The global sums of per-channel local sums (one all-reduce for all of them), or the local ones on one device. */
function deviceSums(locals: tf.Tensor[], allReduce: AllReduce | undefined): tf.Tensor[] {
  if (!allReduce) return locals;
  const c = locals[0]!.size;
  const host = new Float32Array(c * locals.length);
  locals.forEach((t, i) => host.set(t.dataSync() as Float32Array, i * c));
  allReduce(host);
  return locals.map((_, i) => tf.tensor1d(host.slice(i * c, (i + 1) * c)));
}
