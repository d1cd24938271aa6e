import * as tf from '@tensorflow/tfjs-core';
import type { ShardedVariable } from '../variables/sharded-variable';
import type { EveryCallStep } from './apply-pipeline';

const f = Math.fround;

/**
 * avg ← m·avg + (1−m)·v, with m and 1−m as float32 constants for float32 variables (Keras's op order).
 * tf.keras 2.x computes 1−m from the Python float; Keras 3 (`keras3`) from the float32 m.
 */
export function updateAverage(avg: ShardedVariable, v: ShardedVariable, momentum: number, keras3 = false): void {
  if (v.storage === 'tensor') {
    tf.tidy(() => {
      const a = avg.tensorVariable();
      const om = keras3 ? 1 - Math.fround(momentum) : 1 - momentum;
      a.assign(tf.add(tf.mul(tf.scalar(momentum), a), tf.mul(tf.scalar(om), v.tensorVariable())));
    });
    return;
  }
  const a = avg.hostArray();
  const x = v.hostArray();
  if (a instanceof Float32Array) {
    const m = f(momentum);
    const om = keras3 ? f(1 - m) : f(1 - momentum);
    for (let i = 0; i < a.length; i++) a[i] = f(f(m * a[i]!) + f(om * x[i]!));
  } else {
    const om = 1 - momentum;
    for (let i = 0; i < a.length; i++) a[i] = momentum * a[i]! + om * x[i]!;
  }
}

/** v ← avg (overwrite with the moving average, and finalize_variable_values). */
export function copyInto(target: ShardedVariable, source: ShardedVariable): void {
  if (target.storage === 'tensor') target.tensorVariable().assign(source.tensorVariable());
  else target.hostArray().set(source.hostArray());
}

export interface EmaSettings {
  momentum: number;
  /** Overwrite the variables with their averages on steps freq, 2·freq, … (null: never). */
  overwriteFrequency: number | null;
  firstStep: 'keras2' | 'keras3';
}

/**
 * EMA as an apply step, its state one average per tracked variable (each starts as a copy of its
 * variable). Runs after the updates on every call, before iterations moves (Keras 3 also on calls held
 * back for accumulation); overwrites on steps freq, 2·freq, …
 */
export function emaStep(o: EmaSettings): EveryCallStep<ShardedVariable[]> {
  return {
    name: 'ema',
    everyCall: true,
    init: (tracked, add) => tracked.map((v) => add(v, 'average', v)),
    update(averages, call) {
      const overwrite = o.overwriteFrequency && (call.iterations + 1) % o.overwriteFrequency === 0;
      // Keras 3 uses momentum 0 while `iterations` is 0; tf.keras 2.x starts from a copy at build.
      const momentum = o.firstStep === 'keras3' && call.iterations === 0 ? 0 : o.momentum;
      call.vars.forEach((v, i) => {
        const avg = averages[call.tracked[i]!]!;
        updateAverage(avg, v, momentum, o.firstStep === 'keras3');
        if (overwrite) copyInto(v, avg);
      });
    },
  };
}
