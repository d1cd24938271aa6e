/**
 * How a training step hands over each dense parameter's gradient, a strategy the step is given:
 * collected after backward into arrays the caller owns, or given to a sink the moment backward has
 * completed it (grad-hooks.ts), so the caller can start sending it while backward goes on.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CopyMeter } from '../metering/copy-meter';
import { hookedParams } from './grad-hooks';

/**
 * Takes a gradient as a view valid only during the call (on wasm, the backend's own memory) and copies
 * it where the caller needs it; returns the array to report, or null to leave it out.
 */
export type GradSink = (path: string, view: Float32Array) => Float32Array | null;

export interface GradHandOff {
  /**
   * Placeholders of deferred parameters, filled when forward first reads them (deferred-params.ts);
   * only a sink's caller can wait per layer like that. Undefined: every value is taken up front.
   */
  readonly fills?: Map<string, () => void>;
  /** The parameters as forward must read them; call inside the function being differentiated. */
  watch(params: Map<string, tf.Tensor>): Map<string, tf.Tensor>;
  /** After backward (`grads[i]` is `paths[i]`'s gradient): the gradients to report, by path. */
  finish(paths: readonly string[], grads: readonly tf.Tensor[]): Map<string, Float32Array>;
  /** One gradient downloaded into an array the caller owns (the sparse step's rows). */
  download(grad: tf.Tensor): Float32Array;
}

/** Every gradient downloaded after backward, into an array the caller owns; copies counted on `copies`. */
export function collectGrads(copies: CopyMeter): GradHandOff {
  const download = (grad: tf.Tensor) => ownedData(grad, copies);
  return {
    watch: (params) => params,
    finish: (paths, grads) => new Map(paths.map((p, i) => [p, download(grads[i]!)] as [string, Float32Array])),
    download,
  };
}

/** Each gradient to `sink` as backward completes it, last layer first; those it keeps are reported. */
export function sinkGrads(sink: GradSink, copies: CopyMeter): GradHandOff {
  const sunk = new Map<string, Float32Array | null>();
  const take = (path: string, grad: tf.Tensor): void => {
    const view = transientView(grad, copies);
    copies.count('download', view.byteLength); // the sink's copy out of the backend
    sunk.set(path, sink(path, view));
  };
  const fills = new Map<string, () => void>();
  return {
    fills,
    watch: (params) => hookedParams(params, take, fills),
    finish(paths, grads) {
      const report = new Map<string, Float32Array>();
      paths.forEach((p, i) => {
        if (!sunk.has(p)) take(p, grads[i]!); // a parameter forward never read: its (zero) gradient, now
        const kept = sunk.get(p);
        if (kept) report.set(p, kept);
      });
      return report;
    },
    download: (grad) => ownedData(grad, copies),
  };
}

/** A float32 tensor's values without a copy where the backend allows one (valid until the tensor is disposed). */
function transientView(t: tf.Tensor, copies: CopyMeter): Float32Array {
  const backend = tf.backend() as tf.KernelBackend & { typedArrayFromHeap?: (t: tf.TensorInfo) => Float32Array };
  if (tf.getBackend() === 'wasm' && backend.typedArrayFromHeap) return backend.typedArrayFromHeap(t);
  const d = t.dataSync() as Float32Array;
  if (tf.getBackend() !== 'cpu') copies.count('download', d.byteLength); // other backends copy in dataSync
  return d;
}

/** A tensor's values in a Float32Array nothing else holds (cpu's dataSync returns the live buffer). */
function ownedData(t: tf.Tensor, copies: CopyMeter): Float32Array {
  const d = t.dataSync() as Float32Array;
  copies.count('download', d.byteLength); // wasm: dataSync's copy out of the heap; cpu: the slice below
  return tf.getBackend() === 'wasm' ? d : d.slice();
}
