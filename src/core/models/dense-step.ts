/**
 * A training step's forward and backward when every parameter is a dense tensor (no Embedding
 * tables): the gradients of Σ loss with respect to all of them, handed over by the step's GradHandOff.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from './build';
import { forward, type ForwardOptions } from './forward';
import type { GradHandOff } from './grad-handoff';
import type { HostSparse } from '../optimizers/indexed-slices';

/** What a step leaves: `out` and `perExample` are kept past the tidy scope; the caller disposes them. */
export interface StepOutputs {
  out: tf.Tensor;
  perExample: tf.Tensor;
  /** Dense gradients, as the hand-off reports them. */
  grads: Map<string, Float32Array>;
  /** Embedding tables' gradients, one row per looked-up id (the sparse step only). */
  sparse?: Map<string, HostSparse>;
  /** The regularizer terms added to the differentiated sum (kept; null without regularizers). */
  extra: tf.Scalar | null;
}

/** How a step turns the model's output into its loss: the per-example loss, and the loss scale. */
export interface StepLoss {
  perExample(out: tf.Tensor): tf.Tensor;
  /** After forward: the regularizer terms it added (a kept scalar, step-extras.ts), or null. */
  extra?: () => tf.Scalar | null;
  /** The optimizer's scaleLoss (Keras 3 loss_scale_factor): gradients are of the scaled sum. */
  scale?: (loss: tf.Scalar) => tf.Scalar;
}

/** The (scaled) Σ per-example loss plus the regularizer terms: what backward differentiates. */
export function stepTotal(perExample: tf.Tensor, extra: tf.Scalar | null, loss: StepLoss): tf.Scalar {
  const sum = tf.sum(perExample) as tf.Scalar;
  const total = extra ? (tf.add(sum, extra) as tf.Scalar) : sum;
  return loss.scale ? loss.scale(total) : total;
}

/** Inside a tidy scope: forward, then backward of the (scaled) Σ per-example loss and regularizer terms. */
export function denseStep(
  model: Model,
  params: Map<string, tf.Tensor>,
  x: tf.Tensor,
  ctx: ForwardOptions,
  loss: StepLoss,
  handOff: GradHandOff,
): StepOutputs {
  const paths = [...params.keys()];
  let out: tf.Tensor | undefined;
  let perExample: tf.Tensor | undefined;
  let extra: tf.Scalar | null = null;
  try {
    const { grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
      const raw = new Map(paths.map((p, i) => [p, ps[i]!] as [string, tf.Tensor]));
      // keep(): the gradient scope disposes everything but its value and grads; the caller reads these.
      out = tf.keep(forward(model, handOff.watch(raw), x, ctx));
      perExample = tf.keep(loss.perExample(out));
      extra = loss.extra?.() ?? null;
      return stepTotal(perExample, extra, loss);
    })(paths.map((p) => params.get(p)!));
    return { out: out!, perExample: perExample!, extra, grads: handOff.finish(paths, grads) };
  } catch (e) {
    out?.dispose();
    perExample?.dispose();
    (extra as tf.Scalar | null)?.dispose();
    throw e;
  }
}
