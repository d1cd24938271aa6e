/**
 * Parameters whose values are still on their way when a step starts (the all-gather of the last
 * update, on a communication thread): forward gets a placeholder tensor for each, filled the moment a
 * layer first reads it, so the first layers compute while the later layers' values still travel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CopyMeter } from '../metering/copy-meter';

/** A parameter value to wait for: take() blocks until it is there and returns it. */
export interface DeferredParam {
  readonly deferred: true;
  take(): Float32Array;
}

export function isDeferred(v: unknown): v is DeferredParam {
  return typeof v === 'object' && v !== null && (v as DeferredParam).deferred === true;
}

/**
 * Whether the active backend lets a fresh tensor's memory be written in place: wasm (its heap) and
 * cpu (its arrays). Elsewhere a deferred parameter is taken at once and uploaded.
 */
export function writableInPlace(): boolean {
  const name = tf.getBackend();
  return name === 'wasm' || name === 'cpu';
}

/**
 * A fresh tensor of `shape` (allocated in the backend, not uploaded) and the function that writes
 * `param`'s values into it: call that before any kernel reads the tensor. The write counts as an upload.
 */
export function placeholder(
  shape: readonly number[],
  param: DeferredParam,
  copies: CopyMeter,
): { tensor: tf.Tensor; fill: () => void } {
  const tensor = tf.fill([...shape], 0, 'float32');
  return {
    tensor,
    fill: () => {
      const values = param.take();
      if (values.length !== tensor.size)
        throw new Error(`internal: deferred parameter has ${values.length} values, its tensor ${tensor.size}`);
      memoryOf(tensor).set(values);
      copies.count('upload', values.byteLength);
    },
  };
}

/**
 * The tensor's own memory, to write in place: only for a fresh tensor that no kernel has read yet
 * (backends may cache data derived from a tensor, e.g. tfjs-wasm's packed matMul weights). A view of
 * the wasm heap (stale once anything allocates: take it right before use) or the cpu's live array.
 */
export function memoryOf(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as tf.KernelBackend & { typedArrayFromHeap?: (t: tf.TensorInfo) => Float32Array };
  if (tf.getBackend() === 'wasm' && backend.typedArrayFromHeap) return backend.typedArrayFromHeap(t);
  return t.dataSync() as Float32Array; // cpu: its live array
}
