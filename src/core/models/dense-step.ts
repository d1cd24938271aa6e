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
}

/** How a step turns the model's output into its loss: the per-example loss, and the loss scale. */
export interface StepLoss {
  perExample(out: tf.Tensor): tf.Tensor;
  /** The optimizer's scaleLoss (Keras 3 loss_scale_factor): gradients are of the scaled sum. */
  scale?: (loss: tf.Scalar) => tf.Scalar;
}

/** Inside a tidy scope: forward, then backward of the (scaled) Σ per-example loss. */
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
  try {
    const { grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
      const raw = new Map(paths.map((p, i) => [p, ps[i]!] as [string, tf.Tensor]));
      // keep(): the gradient scope disposes everything but its value and grads; the caller reads these.
      out = tf.keep(forward(model, handOff.watch(raw), x, ctx));
      perExample = tf.keep(loss.perExample(out));
      const total = tf.sum(perExample) as tf.Scalar;
      return loss.scale ? loss.scale(total) : total;
    })(paths.map((p) => params.get(p)!));
    return { out: out!, perExample: perExample!, grads: handOff.finish(paths, grads) };
  } catch (e) {
    out?.dispose();
    perExample?.dispose();
    throw e;
  }
}
