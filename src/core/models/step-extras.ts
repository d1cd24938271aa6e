/**
 * What a Keras graph's step needs beyond parameters and loss: its non-trainable variables as tensors
 * (BatchNormalization's moving statistics, Normalization's adapted mean), the new values training
 * gives them, and the regularizers' loss terms. Created inside the step's tidy scope; `finish` reads
 * the results out and disposes what the layers kept.
 *
 * Regularizer terms are in the step's units (a sum over this device's examples): weights count
 * `batchSize` times, so the devices' sums add up to the global batch × the penalty, and dividing by
 * the global batch gives Keras's loss = mean + penalty.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from './model';
import type { ParamValue } from './forward';
import { isDeferred } from './deferred-params';
import type { CopyMeter } from '../metering/copy-meter';

export interface StepExtras {
  state: Map<string, tf.Tensor>;
  stateUpdates: Map<string, tf.Tensor> | undefined;
  losses: tf.Tensor[];
  weightLossScale: number;
}

/** The model's non-trainable variables as tensors, from `values` (which holds them beside the parameters). */
export function stateTensors(model: Model, values: Map<string, ParamValue>, copies: CopyMeter): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const s of model.state ?? []) {
    const v = values.get(s.path);
    if (v === undefined) throw new Error(`missing non-trainable variable "${s.path}"`);
    if (v instanceof tf.Tensor) out.set(s.path, v);
    else {
      const data = isDeferred(v) ? v.take() : v;
      copies.count('upload', data.byteLength);
      out.set(s.path, tf.tensor(data, s.shape, 'float32'));
    }
  }
  return out;
}

export function stepExtras(
  model: Model,
  values: Map<string, ParamValue>,
  batchSize: number,
  training: boolean,
  copies: CopyMeter,
): StepExtras {
  return {
    state: stateTensors(model, values, copies),
    stateUpdates: training && (model.state?.length ?? 0) > 0 ? new Map() : undefined,
    losses: [],
    weightLossScale: batchSize,
  };
}

/** The sum of the regularizer terms the graph added (a kept scalar, or null when there are none). */
export function extraLoss(extras: StepExtras): tf.Scalar | null {
  if (extras.losses.length === 0) return null;
  return tf.keep(tf.addN(extras.losses)) as tf.Scalar;
}

/** The new non-trainable values as host arrays, and every tensor the layers kept disposed. */
export function finishExtras(extras: StepExtras, copies: CopyMeter): Map<string, Float32Array> | undefined {
  for (const t of extras.losses) t.dispose();
  if (!extras.stateUpdates) return undefined;
  const out = new Map<string, Float32Array>();
  for (const [path, t] of extras.stateUpdates) {
    out.set(path, Float32Array.from(t.dataSync() as Float32Array));
    copies.count('download', t.size * 4);
    t.dispose();
  }
  return out;
}
