/**
 * Recurrent layers: SimpleRNN, LSTM, GRU (reset_after both ways) and Bidirectional, with
 * return_sequences, return_state, go_backwards, initial states and masks, as Keras 3 on JAX runs them:
 * a scan over time of the cell (recurrent-cells.ts). With go_backwards the sequence is read from the
 * end and the returned sequence is in that (processing) order; a masked step keeps the states and
 * repeats the previous output (zero_output_for_mask: zeros instead).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from '../parts';
import { fail, isObj, type LayerEntry, type Obj } from './config';
import { cellOf, type Cell } from './recurrent-cells';
import { maskFor } from './masking';
import { onlySlots, refuseSet, slotOf, tensorSlots, type Translator } from './layer-types';
import { regularizersOf } from './regularizers';
import { fusedKernels, fusedRecurrence } from '../../tfjs/recurrence/op';
import { activeNativeGemm } from '../../tfjs/kernels';
import type { Recurrence as NativeRecurrence } from '../../tfjs/recurrence/sequence';

interface Recurrence {
  cell: Cell;
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  zeroOutputForMask: boolean;
}

function recurrenceOf(entry: LayerEntry, kind: string, inputDim: number, sub: { h5: string; path: string }): Recurrence {
  refuseSet(entry, ['stateful']);
  for (const k of ['dropout', 'recurrent_dropout'])
    if (typeof entry.config[k] === 'number' && (entry.config[k] as number) > 0)
      fail(`layer "${entry.name}" (${entry.className}): ${k} ${String(entry.config[k])} is not supported (0)`);
  return {
    cell: cellOf(kind, entry, inputDim, sub),
    returnSequences: entry.config.return_sequences === true,
    returnState: entry.config.return_state === true,
    goBackwards: entry.config.go_backwards === true,
    zeroOutputForMask: entry.config.zero_output_for_mask === true,
  };
}

/** The scan: [batch, time, features] → every step's output (processing order) and the final states. */
function scan(r: Recurrence, x: tf.Tensor, p: Map<string, tf.Tensor>, mask: tf.Tensor | null, init: tf.Tensor[] | null) {
  const [batch, time] = x.shape as [number, number];
  const pre = r.cell.inputProjection(x, p); // every step's input term at once: one matmul
  let steps = tf.unstack(pre, 1);
  let masks = mask ? tf.unstack(tf.expandDims(tf.cast(mask, 'bool'), -1), 1) : null;
  if (r.goBackwards) {
    // Copies: tfjs's tape holds the very array a multi-output op returns, so reversing it in place
    // would pair each step's gradient with another step.
    steps = [...steps].reverse();
    masks = masks ? [...masks].reverse() : null;
  }
  let states = init ?? r.cell.stateSizes.map((n) => tf.zeros([batch, n]));
  const outputs: tf.Tensor[] = [];
  for (let t = 0; t < time; t++) {
    const next = r.cell.step(steps[t]!, states, p);
    if (!masks) {
      states = next;
      outputs.push(next[0]!);
      continue;
    }
    const keep = masks[t]!;
    const previous = r.zeroOutputForMask ? tf.zerosLike(next[0]!) : states[0]!;
    outputs.push(tf.where(keep, next[0]!, previous));
    states = next.map((s, i) => tf.where(keep, s, states[i]!));
  }
  return { outputs, states };
}

/** Runs a recurrence as the layer does: output (sequence or last), then the states when asked. */
function run(
  r: Recurrence,
  x: tf.Tensor,
  p: Map<string, tf.Tensor>,
  mask: tf.Tensor | null,
  init: tf.Tensor[] | null,
): tf.Tensor[] {
  const native = fusedKernels();
  // An empty local batch (more devices than examples) has nothing to scan: the tfjs ops handle it.
  if (native !== null && r.cell.fused !== null && x.shape[0]! > 0) return runFused(r, x, p, mask, init, native);
  const { outputs, states } = scan(r, x, p, mask, init);
  const out = r.returnSequences ? tf.stack(outputs, 1) : outputs[outputs.length - 1]!;
  return r.returnState ? [out, ...states] : [out];
}

/** The same on the whole-sequence kernel: one op for the scan, its packed result sliced into the layer's outputs. */
function runFused(
  r: Recurrence,
  x: tf.Tensor,
  p: Map<string, tf.Tensor>,
  mask: tf.Tensor | null,
  init: tf.Tensor[] | null,
  native: NativeRecurrence,
): tf.Tensor[] {
  const [batch, time] = x.shape as [number, number];
  const units = r.cell.units;
  const { kernel, bias } = r.cell.stepParams(p);
  // Without return_state the kernel's result is the layer's output, unsliced: every output, or the last alone.
  const finals = r.returnState;
  const options = { reverse: r.goBackwards, zeroOutput: r.zeroOutputForMask, mask, finals, last: !r.returnSequences && !finals };
  // x·W inside the op where the input term is that alone (no input bias to add to it).
  const [w, gemm] = [r.cell.inputKernel(p), activeNativeGemm()];
  const projection = w !== null && gemm !== null && x.dtype === 'float32' ? { weights: w, gemm } : null;
  const input = projection ? x : r.cell.inputProjection(x, p);
  const packed = fusedRecurrence(native, r.cell.fused!, input, kernel, bias, init ?? [], options, projection);
  if (!finals) return [packed];
  const at = (step: number, steps: number) => tf.slice(packed, [0, step, 0], [batch, steps, units]);
  const out = r.returnSequences ? at(0, time) : tf.reshape(at(time - 1, 1), [batch, units]);
  return [out, ...r.cell.stateSizes.map((_, k) => tf.reshape(at(time + k, 1), [batch, units]))];
}

function shapes(r: Recurrence, time: number): { outShape: number[]; extra: number[][] } {
  const units = r.cell.units;
  return {
    outShape: r.returnSequences ? [time, units] : [units],
    extra: r.returnState ? r.cell.stateSizes.map((n) => [n]) : [],
  };
}

/** Where a recurrent layer's call arguments are among its inputs: the sequence, Keras's `mask`, the initial states. */
function callSlots(entry: LayerEntry, inShapes: number[][]) {
  const seq = slotOf(entry, 'sequences', 0) ?? 0;
  const mask = slotOf(entry, 'mask');
  const slots = tensorSlots(entry);
  const init = slots.flatMap((s, i) => (/^initial_state(\.\d+)?$|^1(\.\d+)?$/.test(s) ? [i] : []));
  onlySlots(entry, [seq, mask, ...init]);
  const shape = inShapes[seq] ?? fail(`layer "${entry.name}" has no input`);
  if (shape.length !== 2)
    fail(`layer "${entry.name}" (${entry.className}) needs a rank-3 input [batch, time, features], got [${shape}]`);
  return { seq, mask, init, shape };
}

function recurrent(kind: 'SimpleRNN' | 'LSTM' | 'GRU'): Translator {
  return (entry, inShapes) => {
    const slots = callSlots(entry, inShapes);
    const [time, features] = slots.shape as [number, number];
    const cellName = kind === 'SimpleRNN' ? 'simple_rnn_cell' : `${kind.toLowerCase()}_cell`;
    const r = recurrenceOf(entry, kind, features, { h5: 'cell', path: cellName });
    const init = slots.init.length;
    if (init !== 0 && init !== r.cell.stateSizes.length)
      fail(`layer "${entry.name}" (${kind}) takes ${r.cell.stateSizes.length} initial states, got ${init}`);
    const { outShape, extra } = shapes(r, time);
    return {
      outShape,
      ...(extra.length ? { extraOutShapes: extra } : {}),
      params: r.cell.params,
      regularizers: cellRegularizers(entry, r.cell.params),
      maskUse: r.returnSequences ? 'sequence' : 'consume',
      apply: (inputs, p, _ctx, masks) => {
        const states = slots.init.map((i) => inputs[i]!);
        const out = run(r, inputs[slots.seq]!, p, maskFor(inputs, masks, slots.mask, slots.seq), states.length ? states : null);
        return out.length === 1 ? out[0]! : out;
      },
    };
  };
}
export const simpleRnn = recurrent('SimpleRNN');
export const lstm = recurrent('LSTM');
export const gru = recurrent('GRU');

function cellRegularizers(entry: LayerEntry, params: ParamSpec[]) {
  return regularizersOf(entry, params, { kernel_regularizer: 0, recurrent_regularizer: 1, bias_regularizer: 2 });
}

const MERGES = ['concat', 'sum', 'ave', 'mul'];

/**
 * Bidirectional: its `layer` forward and `backward_layer` (or the layer with go_backwards flipped)
 * backward, the backward sequence flipped back to input order before merging (merge_mode concat, sum,
 * ave, mul; null returns both as two outputs).
 */
export const bidirectional: Translator = (entry, inShapes) => {
  const slots = callSlots(entry, inShapes);
  const [time, features] = slots.shape as [number, number];
  const inner = (raw: unknown, what: string): { entry: LayerEntry; kind: 'SimpleRNN' | 'LSTM' | 'GRU' } => {
    if (!isObj(raw) || !isObj(raw.config)) return fail(`layer "${entry.name}" (Bidirectional): no ${what} config`);
    const kind = String(raw.class_name);
    if (kind !== 'LSTM' && kind !== 'GRU' && kind !== 'SimpleRNN')
      return fail(`layer "${entry.name}" (Bidirectional): wrapping ${kind} is not supported (LSTM, GRU, SimpleRNN)`);
    const config = raw.config as Obj;
    return { entry: { ...entry, className: kind, name: entry.name, config }, kind };
  };
  const fwd = inner(entry.config.layer, 'layer');
  const bwdRaw = entry.config.backward_layer;
  const bwd = bwdRaw
    ? inner(bwdRaw, 'backward_layer')
    : {
        kind: fwd.kind,
        entry: { ...fwd.entry, config: { ...fwd.entry.config, go_backwards: !fwd.entry.config.go_backwards } },
      };
  const cellName = (k: string) => (k === 'SimpleRNN' ? 'simple_rnn_cell' : `${k.toLowerCase()}_cell`);
  const layerName = (e: LayerEntry, prefix: string) => {
    const n = String(e.config.name ?? fwd.kind.toLowerCase());
    return n.startsWith(prefix) ? n : `${prefix}${n}`;
  };
  const f = recurrenceOf(fwd.entry, fwd.kind, features, {
    h5: 'forward_layer/cell',
    path: `${layerName(fwd.entry, 'forward_')}/${cellName(fwd.kind)}`,
  });
  const b = recurrenceOf(bwd.entry, bwd.kind, features, {
    h5: 'backward_layer/cell',
    path: `${layerName(bwd.entry, 'backward_')}/${cellName(bwd.kind)}`,
  });
  if (f.returnSequences !== b.returnSequences || f.goBackwards === b.goBackwards)
    fail(`layer "${entry.name}" (Bidirectional): its layers must agree on return_sequences and differ on go_backwards`);
  const mode = entry.config.merge_mode === undefined ? 'concat' : entry.config.merge_mode;
  if (mode !== null && !MERGES.includes(mode as string))
    fail(
      `layer "${entry.name}" (Bidirectional): merge_mode ${JSON.stringify(mode)} is not supported (${MERGES.join(', ')}, null)`,
    );
  const fs = shapes(f, time);
  const bs = shapes(b, time);
  const merged =
    mode === 'concat'
      ? [...fs.outShape.slice(0, -1), fs.outShape[fs.outShape.length - 1]! + bs.outShape[bs.outShape.length - 1]!]
      : fs.outShape;
  const outs = mode === null ? [fs.outShape, bs.outShape] : [merged];
  const extra = [...outs.slice(1), ...fs.extra, ...bs.extra];
  const initCount = f.cell.stateSizes.length + b.cell.stateSizes.length;
  if (slots.init.length !== 0 && slots.init.length !== initCount)
    fail(`layer "${entry.name}" (Bidirectional) takes ${initCount} initial states, got ${slots.init.length}`);
  const params = [...f.cell.params, ...b.cell.params];
  return {
    outShape: outs[0]!,
    ...(extra.length ? { extraOutShapes: extra } : {}),
    params,
    regularizers: [...cellRegularizers(fwd.entry, f.cell.params), ...cellRegularizers(bwd.entry, b.cell.params)],
    maskUse: f.returnSequences ? 'sequence' : 'consume',
    apply: (inputs, p, _ctx, masks) => {
      const x = inputs[slots.seq];
      const init = slots.init.map((i) => inputs[i]!);
      const mask = maskFor(inputs, masks, slots.mask, slots.seq);
      const half = f.cell.stateSizes.length;
      const [y, ...fStates] = run(f, x!, p, mask, init.length ? init.slice(0, half) : null);
      const [yRevRaw, ...bStates] = run(b, x!, p, mask, init.length ? init.slice(half) : null);
      const yRev = f.returnSequences ? tf.reverse(yRevRaw!, 1) : yRevRaw!;
      const out =
        mode === 'concat'
          ? [tf.concat([y!, yRev], -1)]
          : mode === 'sum'
            ? [tf.add(y!, yRev)]
            : mode === 'ave'
              ? [tf.div(tf.add(y!, yRev), 2)]
              : mode === 'mul'
                ? [tf.mul(y!, yRev)]
                : [y!, yRev];
      const all = [...out, ...(f.returnState ? [...fStates, ...bStates] : [])];
      return all.length === 1 ? all[0]! : all;
    },
  };
};
