/**
 * The whole-sequence recurrent kernels (native/blas/rnn.c) as one differentiable tfjs op (a
 * customGrad): forward runs the layer's scan in one native call and keeps what backward needs;
 * backward returns the gradients of the input term, the recurrent kernel, the in-step bias and the
 * initial states in another. Used where the native BLAS addon backs the wasm kernels (fusedKernels);
 * elsewhere the layers run their per-step tfjs ops (core/models/keras/layers-recurrent.ts). Given the
 * input kernel W (a layer whose input term is x·W alone), the op takes x and computes x·W by one sgemm
 * itself, and x's and W's gradients from dPre by two: no Reshape, MatMul or input-term tensor around it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activeNativeGemm } from '../kernels';
import type { NativeGemm } from '../kernels/native-gemm';
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
  /**
   * The last step's output alone, [batch, units] (with finals false): a return_sequences=False layer's
   * output without a Slice forward and a Pad of its gradient backward.
   */
  last?: boolean;
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

/** The input kernel W [features, gates·units] and the sgemm that applies it, when the op computes x·W. */
export interface InputKernel {
  weights: tf.Tensor;
  gemm: NativeGemm;
}

/**
 * input: pre [batch, time, gates·units] (the input term of every step), or x [batch, time, features]
 * with `projection` (then pre = x·W inside). kernel [units, gates·units], bias (LSTM's bias, GRU's
 * recurrent bias with reset_after; else null), init: the initial states or none (zeros). Returns
 * [batch, time + states, units]: the outputs in processing order, then the final states (without
 * `finals`, [batch, time, units]: a return_sequences layer's output as it is, no slice of it; with
 * `last`, [batch, units]: the last step's output).
 */
export function fusedRecurrence(
  native: Recurrence,
  cell: FusedCell,
  input: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
  init: tf.Tensor[],
  options: FusedOptions,
  projection: InputKernel | null = null,
): tf.Tensor {
  const [batch, time] = input.shape as [number, number];
  const units = kernel.shape[0]!;
  const q: Sequence = { batch, time, units, reverse: options.reverse, zeroOutput: options.zeroOutput, finals: options.finals };
  const [states, config, bu] = [statesOf(cell), configOf(cell, q), batch * units];
  const keep = options.mask ? Uint8Array.from(tf.tidy(() => tf.cast(tf.notEqual(options.mask!, 0), 'int32')).dataSync()) : null;
  const term = inputTerm(input, projection);
  const at = term.tensors.length; // the recurrent kernel's place among the op's inputs
  const inputs = [...term.tensors, kernel, ...(bias ? [bias] : []), ...init];
  const op = tf.customGrad((...args: unknown[]) => {
    const t = args.slice(0, inputs.length) as tf.Tensor[];
    const save = args[inputs.length] as (tensors: tf.Tensor[]) => void;
    // The states' first block is the initial state: given, or zeros (a pooled buffer holds old values).
    const H = pool.take((time + 1) * bu);
    const C = cell.kind === 'lstm' ? pool.take((time + 1) * bu) : null;
    for (const [i, block] of [H, C].entries()) {
      if (block === null) continue;
      if (init.length) block.set(values(t[t.length - states + i]!));
      else block.fill(0, 0, bu);
    }
    const saved = pool.take(time * bu * savedOf(cell));
    const k = values(t[at]!); // small, and read again by backward: a copy
    const b = bias ? values(t[at + 1]!) : null;
    // The packed result is the op's output tensor itself: the kernel writes it in wasm memory.
    const backend = tf.backend() as unknown as WasmBackend;
    const last = options.last === true;
    const out = backend.makeOutput(last ? [batch, units] : [batch, time + (options.finals ? states : 0), units], 'float32');
    const sequence = last ? pool.take(batch * time * units) : null; // the outputs, for their last step
    const pre = term.forward(backend, t);
    native.rnnScan(config, pre, k, b, keep, H, C, sequence ?? heap(backend, out), saved);
    term.done(pre);
    if (sequence) lastStep(sequence, heap(backend, out), time, units, false);
    pool.give(sequence);
    if (projection) save(t.slice(0, 2));
    const value = tf.engine().makeTensorFromTensorInfo(out);
    return {
      value,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const dPre = term.gradientBuffer(backend);
        const dKernel = pool.take(kernel.size);
        const dBias = bias ? pool.take(bias.size) : null;
        const dInit = pool.take(states * bu);
        // The last step's gradient into an otherwise zero sequence gradient (pooled: zeroed here).
        const dSequence = last ? lastStep(heap(backend, dy), pool.take(batch * time * units), time, units, true) : null;
        const dOut = dSequence ?? heap(backend, dy);
        native.rnnScanBackward(config, k, keep, H, C, saved, dOut, dPre.values(), dKernel, dBias, dInit);
        pool.give(dSequence);
        const grads = [
          ...dPre.gradients(kept),
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

/**
 * Between a [batch, time, units] sequence and its last step's rows [batch, units]: forward copies the
 * rows out of `sequence` into `rows`; `spread` writes `rows` (the first argument then) into a zeroed
 * sequence. Returns the destination.
 */
function lastStep(a: Float32Array, b: Float32Array, time: number, units: number, spread: boolean): Float32Array {
  const [sequence, rows] = spread ? [b, a] : [a, b];
  if (spread) sequence.fill(0);
  for (let i = 0; i < rows.length / units; i++) {
    const at = (i * time + time - 1) * units;
    if (spread) sequence.set(rows.subarray(i * units, (i + 1) * units), at);
    else rows.set(sequence.subarray(at, at + units), i * units);
  }
  return spread ? sequence : rows;
}

/** Where the scan's input term comes from and where its gradient goes. */
interface InputTerm {
  tensors: tf.Tensor[];
  /** The input term for the scan (taken after the op's last wasm allocation before the scan). */
  forward(backend: WasmBackend, t: tf.Tensor[]): Float32Array;
  /** After the scan: the input term is no longer read. */
  done(pre: Float32Array): void;
  /** Where the backward scan writes dPre, and the op's first gradients from it. */
  gradientBuffer(backend: WasmBackend): { values(): Float32Array; gradients(kept: tf.Tensor[]): tf.Tensor[] };
}

function inputTerm(input: tf.Tensor, projection: InputKernel | null): InputTerm {
  if (projection === null)
    return {
      tensors: [input],
      forward: (backend, t) => heap(backend, t[0]!),
      done: () => undefined,
      gradientBuffer: (backend) => {
        const dPre = backend.makeOutput(input.shape, 'float32');
        return { values: () => heap(backend, dPre), gradients: () => [tf.engine().makeTensorFromTensorInfo(dPre)] };
      },
    };
  const { weights, gemm } = projection;
  const [batch, time, features] = input.shape as [number, number, number];
  const [rows, width] = [batch * time, weights.shape[1]!];
  return {
    tensors: [input, weights],
    forward: (backend, t) => {
      const pre = pool.take(rows * width);
      gemm.sgemm(
        false,
        false,
        rows,
        width,
        features,
        1,
        heap(backend, t[0]!),
        features,
        heap(backend, t[1]!),
        width,
        0,
        pre,
        width,
      );
      return pre;
    },
    done: (pre) => pool.give(pre),
    gradientBuffer: (backend) => {
      const dPre = pool.take(rows * width);
      return {
        values: () => dPre,
        // The matMul gradients tfjs would take: dx = dPre·Wᵀ, dW = xᵀ·dPre, by the same sgemm.
        gradients: ([x, w]) => {
          const dx = backend.makeOutput(input.shape, 'float32');
          const dw = backend.makeOutput(weights.shape, 'float32');
          const [xv, wv] = [heap(backend, x!), heap(backend, w!)];
          gemm.sgemm(false, true, rows, features, width, 1, dPre, width, wv, width, 0, heap(backend, dx), features);
          gemm.sgemm(true, false, features, width, rows, 1, xv, features, dPre, width, 0, heap(backend, dw), width);
          pool.give(dPre);
          return [dx, dw].map((g) => tf.engine().makeTensorFromTensorInfo(g));
        },
      };
    },
  };
}
