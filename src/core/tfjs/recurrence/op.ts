/**
 * The whole-sequence recurrent kernels (native/blas/rnn.c) as one differentiable tfjs op (a
 * customGrad): forward runs the layer's scan in one native call and keeps what backward needs;
 * backward returns the gradients of the input term, the recurrent kernel, the in-step bias and the
 * initial states in another. Used where the native BLAS addon backs the wasm kernels (fusedKernels);
 * elsewhere the layers run their per-step tfjs ops (core/models/keras/layers-recurrent.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { activeNativeGemm } from '../kernels';
import type { WasmBackend } from '../kernels/wasm-ops';
import { BufferPool } from './buffer-pool';
import { configOf, savedOf, statesOf, type FusedCell, type Recurrence, type Sequence } from './sequence';

const pool = new BufferPool();

export interface FusedOptions {
  reverse: boolean;
  zeroOutput: boolean;
  /** [batch, time], truthy = compute the step (the layer's Keras mask), or null. */
  mask: tf.Tensor | null;
  /** Return the final states after the outputs (false: the outputs alone, [batch, time, units]). */
  finals: boolean;
}

/** The native recurrent kernels, or null where they are not used (no addon or one without them, not wasm). */
export function fusedKernels(): Recurrence | null {
  const native = activeNativeGemm();
  return native?.recurrence !== undefined && tf.getBackend() === 'wasm' ? native.recurrence : null;
}

const values = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;
/**
 * A float32 tensor's own buffer in wasm memory, which the kernels read or write in place (the sequence
 * and its gradient are megabytes: copying them out and back cost more than the scan's gates). A view
 * goes stale when wasm memory grows: take it after the last allocation before the native call.
 */
const heap = (backend: WasmBackend, t: tf.TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;

/**
 * pre [batch, time, gates·units] (the input term of every step), kernel [units, gates·units], bias
 * (LSTM's bias, GRU's recurrent bias with reset_after; else null), init: the initial states or none
 * (zeros). Returns [batch, time + states, units]: the outputs in processing order, then the final states
 * (without `finals`, [batch, time, units]: a return_sequences layer's output as it is, no slice of it).
 */
export function fusedRecurrence(
  native: Recurrence,
  cell: FusedCell,
  pre: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
  init: tf.Tensor[],
  options: FusedOptions,
): tf.Tensor {
  const [batch, time] = pre.shape as [number, number];
  const units = kernel.shape[0]!;
  const q: Sequence = { batch, time, units, reverse: options.reverse, zeroOutput: options.zeroOutput, finals: options.finals };
  const [states, config, bu] = [statesOf(cell), configOf(cell, q), batch * units];
  const keep = options.mask ? Uint8Array.from(tf.tidy(() => tf.cast(tf.notEqual(options.mask!, 0), 'int32')).dataSync()) : null;
  const inputs = [pre, kernel, ...(bias ? [bias] : []), ...init];
  const op = tf.customGrad((...args: unknown[]) => {
    const t = args.slice(0, inputs.length) as tf.Tensor[];
    // The states' first block is the initial state: given, or zeros (a pooled buffer holds old values).
    const H = pool.take((time + 1) * bu);
    const C = cell.kind === 'lstm' ? pool.take((time + 1) * bu) : null;
    for (const [i, block] of [H, C].entries()) {
      if (block === null) continue;
      if (init.length) block.set(values(t[t.length - states + i]!));
      else block.fill(0, 0, bu);
    }
    const saved = pool.take(time * bu * savedOf(cell));
    const k = values(t[1]!); // small, and read again by backward: a copy
    const b = bias ? values(t[2]!) : null;
    // The packed result is the op's output tensor itself: the kernel writes it in wasm memory.
    const backend = tf.backend() as unknown as WasmBackend;
    const out = backend.makeOutput([batch, time + (options.finals ? states : 0), units], 'float32');
    native.rnnScan(config, heap(backend, t[0]!), k, b, keep, H, C, heap(backend, out), saved);
    const value = tf.engine().makeTensorFromTensorInfo(out);
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        const dPre = backend.makeOutput(pre.shape, 'float32');
        const dKernel = pool.take(kernel.size);
        const dBias = bias ? pool.take(bias.size) : null;
        const dInit = pool.take(states * bu);
        native.rnnScanBackward(config, k, keep, H, C, saved, heap(backend, dy), heap(backend, dPre), dKernel, dBias, dInit);
        const grads = [
          tf.engine().makeTensorFromTensorInfo(dPre),
          tf.tensor(dKernel, kernel.shape),
          ...(bias && dBias ? [tf.tensor(dBias, bias.shape)] : []),
          ...init.map((_, i) => tf.tensor2d(dInit.subarray(i * bu, (i + 1) * bu), [batch, units])),
        ];
        // tf.tensor copied each into the backend's memory: all reusable now.
        pool.give(H, C, saved, dKernel, dBias, dInit);
        return grads;
      },
    };
  });
  return op(...inputs);
}
