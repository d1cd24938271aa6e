import * as tf from '@tensorflow/tfjs-core';
import type { ShardedVariable } from '../variables/sharded-variable';

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
