/**
 * The whole-sequence recurrent kernels (native/blas/rnn.c) as one differentiable tfjs op (a
 * customGrad): forward runs the layer's scan in one native call and keeps what backward needs;
 * backward returns the gradients of the input term, the recurrent kernel, the in-step bias and the
 * initial states in another. Used where the native BLAS addon backs the wasm kernels (fusedKernels);
 * elsewhere the layers run their per-step tfjs ops (core/models/keras/layers-recurrent.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { activeNativeGemm } from '../kernels';
import { BufferPool } from './buffer-pool';
import { configOf, savedOf, statesOf, type FusedCell, type Recurrence, type Sequence } from './sequence';

const pool = new BufferPool();

export interface FusedOptions {
  reverse: boolean;
  zeroOutput: boolean;
  /** [batch, time], truthy = compute the step (the layer's Keras mask), or null. */
  mask: tf.Tensor | null;
}

/** The native recurrent kernels, or null where they are not used (no addon or one without them, not wasm). */
export function fusedKernels(): Recurrence | null {
  const native = activeNativeGemm();
  return native?.recurrence !== undefined && tf.getBackend() === 'wasm' ? native.recurrence : null;
}

/** [time, batch, units] blocks (Y, then each final state) → [batch, time + states, units], and back. */
function pack(q: Sequence, blocks: Float32Array[], rowsPerBlock: number[]): Float32Array {
  const { batch: B, units: u } = q;
  const width = rowsPerBlock.reduce((a, b) => a + b, 0);
  const out = pool.take(B * width * u);
  let s0 = 0;
  blocks.forEach((block, k) => {
    for (let s = 0; s < rowsPerBlock[k]!; s++)
      for (let b = 0; b < B; b++) out.set(block.subarray((s * B + b) * u, (s * B + b + 1) * u), (b * width + s0 + s) * u);
    s0 += rowsPerBlock[k]!;
  });
  return out;
}

function unpack(q: Sequence, packed: Float32Array, states: number): { dY: Float32Array; dFinal: Float32Array } {
  const { batch: B, time: T, units: u } = q;
  const width = T + states;
  const dY = pool.take(T * B * u);
  const dFinal = pool.take(states * B * u);
  for (let b = 0; b < B; b++)
    for (let s = 0; s < width; s++) {
      const row = packed.subarray((b * width + s) * u, (b * width + s + 1) * u);
      if (s < T) dY.set(row, (s * B + b) * u);
      else dFinal.set(row, ((s - T) * B + b) * u);
    }
  return { dY, dFinal };
}

const values = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

/**
 * pre [batch, time, gates·units] (the input term of every step), kernel [units, gates·units], bias
 * (LSTM's bias, GRU's recurrent bias with reset_after; else null), init: the initial states or none
 * (zeros). Returns [batch, time + states, units]: the outputs in processing order, then the final states.
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
  const q: Sequence = { batch, time, units, reverse: options.reverse, zeroOutput: options.zeroOutput };
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
    const Y = pool.take(time * bu);
    const saved = pool.take(time * bu * savedOf(cell));
    const k = values(t[1]!);
    native.rnnForward(config, values(t[0]!), k, bias ? values(t[2]!) : null, keep, H, C, Y, saved);
    const finals = [H.subarray(time * bu), ...(C ? [C.subarray(time * bu)] : [])];
    const out = pack(q, [Y, ...finals], [time, ...finals.map(() => 1)]);
    const value = tf.tensor3d(out, [batch, time + states, units]); // copied into the backend
    pool.give(Y, out);
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        const { dY, dFinal } = unpack(q, values(dy), states);
        const dPre = pool.take(pre.size);
        const dKernel = pool.take(kernel.size);
        const dBias = bias ? pool.take(bias.size) : null;
        const dInit = pool.take(states * bu);
        native.rnnBackward(config, k, keep, H, C, saved, dY, dFinal, dPre, dKernel, dBias, dInit);
        const grads = [
          tf.tensor(dPre, pre.shape),
          tf.tensor(dKernel, kernel.shape),
          ...(bias && dBias ? [tf.tensor(dBias, bias.shape)] : []),
          ...init.map((_, i) => tf.tensor2d(dInit.subarray(i * bu, (i + 1) * bu), [batch, units])),
        ];
        // tf.tensor copied each into the backend's memory (the kernels run on wasm only): all reusable now.
        pool.give(H, C, saved, dY, dFinal, dPre, dKernel, dBias, dInit);
        return grads;
      },
    };
  });
  return op(...inputs);
}
