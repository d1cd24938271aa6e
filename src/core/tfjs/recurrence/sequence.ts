/**
 * What the recurrent layers hand the whole-sequence kernels (native/blas/rnn.c, which documents the
 * cells): the activations they fuse, and the config the kernels read, packed as their Int32Array.
 */
import type { NativeGemm } from '../kernels/native-gemm';

/** The activations the kernels fuse, in the kernels' numbering; a layer with another runs on tfjs ops. */
export const FUSED_ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'linear'] as const;
export type FusedActivation = (typeof FUSED_ACTIVATIONS)[number];

export function isFusedActivation(name: unknown): name is FusedActivation {
  return typeof name === 'string' && (FUSED_ACTIVATIONS as readonly string[]).includes(name);
}

export type FusedCell =
  | { kind: 'lstm'; act: FusedActivation; rec: FusedActivation }
  | { kind: 'gru'; act: FusedActivation; rec: FusedActivation; resetAfter: boolean }
  | { kind: 'simple'; act: FusedActivation };

export interface Sequence {
  batch: number;
  time: number;
  units: number;
  /** go_backwards: step s reads input step time − 1 − s; outputs stay in processing order. */
  reverse: boolean;
  /** zero_output_for_mask: a masked step outputs zeros instead of repeating the previous output. */
  zeroOutput: boolean;
  /** The result holds the final states after the outputs; without, it is the outputs alone. */
  finals: boolean;
}

const KINDS = { lstm: 0, gru: 1, simple: 2 } as const;

export const gatesOf = (cell: FusedCell): number => (cell.kind === 'lstm' ? 4 : cell.kind === 'gru' ? 3 : 1);
export const statesOf = (cell: FusedCell): number => (cell.kind === 'lstm' ? 2 : 1);
/** Floats the forward keeps per (step, row) for backward, in units (rnn.c's saved_of). */
export const savedOf = (cell: FusedCell): number => (cell.kind === 'lstm' ? 5 : cell.kind === 'gru' ? 4 : 1);

/** rnn.c's config: kind, batch, time, units, reverse, zeroOutput, activation, recurrent activation, resetAfter, finals. */
export function configOf(cell: FusedCell, q: Sequence): Int32Array {
  const code = (a: FusedActivation) => FUSED_ACTIVATIONS.indexOf(a);
  const rec = cell.kind === 'simple' ? 0 : code(cell.rec);
  const after = cell.kind === 'gru' && cell.resetAfter ? 1 : 0;
  const c = [KINDS[cell.kind], q.batch, q.time, q.units, +q.reverse, +q.zeroOutput, code(cell.act), rec, after, +q.finals];
  return Int32Array.from(c);
}

/** The native recurrence when the whole-sequence kernels can run, else null. */
export type Recurrence = NonNullable<NativeGemm['recurrence']>;
