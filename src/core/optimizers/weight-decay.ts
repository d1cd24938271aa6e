import * as tf from '@tensorflow/tfjs-core';
import type { ShardedVariable } from '../variables/sharded-variable';
import type { GradientStep } from './apply-pipeline';

/** Keras's _apply_weight_decay: v ← v − v·wd·lr, each op in the variable's dtype (lr is float32). */
export function decayWeights(v: ShardedVariable, wd: number, lr: number): void {
  if (v.storage === 'tensor') {
    tf.tidy(() =>
      v.tensorVariable().assign(tf.sub(v.tensorVariable(), tf.mul(tf.mul(v.tensorVariable(), tf.scalar(wd)), tf.scalar(lr)))),
    );
    return;
  }
  const x = v.hostArray();
  const f = x instanceof Float32Array ? Math.fround : (n: number) => n;
  const wdc = f(wd);
  for (let i = 0; i < x.length; i++) x[i] = f(x[i]! - f(f(x[i]! * wdc) * lr));
}

/**
 * Weight decay as an apply step: decays each variable of the call before its update, gradients pass
 * through. Reads `weightDecay` on every call (a settable attribute in Keras).
 */
export function decayStep(settings: { readonly weightDecay: number | null }): GradientStep<null> {
  return {
    name: 'decay',
    init: () => null,
    update(grads, _, call) {
      const wd = settings.weightDecay;
      if (wd != null) call.vars.forEach((v) => decayWeights(v, wd, call.learningRate));
      return grads;
    },
  };
}
