/**
 * The recurrent cells of SimpleRNN, LSTM and GRU, in Keras 3's formulas (implementation 2, the
 * default; the JAX backend's own GRU scan when reset_after is true computes the same). Each cell splits
 * into the input's term for every step at once (one matmul over the sequence) and the recurrent step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from '../parts';
import { activationOf, type ActivationFn } from './activations';
import { fail, type LayerEntry } from './config';
import { param, positiveInt, variable } from './layer-types';
import { isFusedActivation, type FusedActivation, type FusedCell } from '../../tfjs/recurrence/sequence';

export interface Cell {
  units: number;
  /** Sizes of the states; the first is the output. */
  stateSizes: number[];
  params: ParamSpec[];
  /** [batch, time, in] → the input's contribution to every step, [batch, time, k]. */
  inputProjection(x: tf.Tensor, p: Map<string, tf.Tensor>): tf.Tensor;
  /** One step from its input term and the previous states: the new states (output first). */
  step(pre: tf.Tensor, states: tf.Tensor[], p: Map<string, tf.Tensor>): tf.Tensor[];
  /** The whole-sequence kernel's description (core/tfjs/recurrence), or null when it does not fuse an activation. */
  fused: FusedCell | null;
  /** What that kernel takes besides inputProjection: the recurrent kernel and the bias added inside the step. */
  stepParams(p: Map<string, tf.Tensor>): { kernel: tf.Tensor; bias: tf.Tensor | null };
  /** W when the input term is x·W alone (no input bias): the fused op then computes it itself; else null. */
  inputKernel(p: Map<string, tf.Tensor>): tf.Tensor | null;
}

/** The activation's name when the fused kernels compute it, else null. */
function fusedName(raw: unknown, fallback: string): FusedActivation | null {
  const name = raw ?? fallback;
  return isFusedActivation(name) ? name : null;
}

type Sub = { h5: string; path: string };

/** x·W over the sequence as one [batch·time, in] × [in, k] matmul. */
function project(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
  const [b, t, d] = x.shape as [number, number, number];
  return tf.reshape(tf.matMul(tf.reshape(x, [b * t, d]) as tf.Tensor2D, kernel as tf.Tensor2D), [b, t, kernel.shape[1]!]);
}

/** LSTM's bias with unit_forget_bias: the bias initializer's values with the forget quarter set to 1. */
function lstmBias(entry: LayerEntry, units: number, sub: Sub): ParamSpec {
  const bias = variable(entry, 'bias', 2, [4 * units], 'bias_initializer', 'Zeros', sub);
  if (entry.config.unit_forget_bias === false) return bias;
  if (bias.init.kind !== 'zeros' && bias.init.kind !== 'constant')
    return fail(
      `layer "${entry.name}": unit_forget_bias with bias_initializer ${JSON.stringify(entry.config.bias_initializer)} is not supported`,
    );
  const v = bias.init.kind === 'constant' ? bias.init.value : 0;
  const values = Array.from({ length: 4 * units }, (_, i) => (i >= units && i < 2 * units ? 1 : v));
  return { ...bias, init: { kind: 'values', values } };
}

function weights(entry: LayerEntry, inputDim: number, units: number, gates: number, sub: Sub, biasShape: number[] | null) {
  const kernel = variable(entry, 'kernel', 0, [inputDim, gates * units], 'kernel_initializer', 'GlorotUniform', sub);
  const recurrent = variable(entry, 'recurrent_kernel', 1, [units, gates * units], 'recurrent_initializer', 'Orthogonal', sub);
  const bias =
    biasShape && entry.config.use_bias !== false ? variable(entry, 'bias', 2, biasShape, 'bias_initializer', 'Zeros', sub) : null;
  return { kernel, recurrent, bias };
}

function simpleRnnCell(entry: LayerEntry, inputDim: number, sub: Sub): Cell {
  const units = positiveInt(entry, 'units');
  const act = activationOf(entry.config.activation ?? 'tanh', entry.name).fn;
  const actName = fusedName(entry.config.activation, 'tanh');
  const w = weights(entry, inputDim, units, 1, sub, [units]);
  return {
    units,
    stateSizes: [units],
    params: [w.kernel, w.recurrent, ...(w.bias ? [w.bias] : [])],
    // h = x·W + b; output = act(h + prev·U)
    inputProjection: (x, p) => {
      const h = project(x, param(p, w.kernel.path));
      return w.bias ? tf.add(h, param(p, w.bias.path)) : h;
    },
    step: (pre, [prev], p) => [act(tf.add(pre, tf.matMul(prev as tf.Tensor2D, param(p, w.recurrent.path) as tf.Tensor2D)))],
    fused: actName ? { kind: 'simple', act: actName } : null,
    stepParams: (p) => ({ kernel: param(p, w.recurrent.path), bias: null }),
    inputKernel: (p) => (w.bias ? null : param(p, w.kernel.path)),
  };
}

function lstmCell(entry: LayerEntry, inputDim: number, sub: Sub): Cell {
  const units = positiveInt(entry, 'units');
  const act = activationOf(entry.config.activation ?? 'tanh', entry.name).fn;
  const rec = activationOf(entry.config.recurrent_activation ?? 'sigmoid', entry.name).fn;
  const w = weights(entry, inputDim, units, 4, sub, null);
  const bias = entry.config.use_bias !== false ? lstmBias(entry, units, sub) : null;
  const [actName, recName] = [
    fusedName(entry.config.activation, 'tanh'),
    fusedName(entry.config.recurrent_activation, 'sigmoid'),
  ];
  return {
    units,
    stateSizes: [units, units],
    params: [w.kernel, w.recurrent, ...(bias ? [bias] : [])],
    inputProjection: (x, p) => project(x, param(p, w.kernel.path)),
    // z = x·W + h·U + b; i, f, g, o = split(z); c = σ(f)·c + σ(i)·act(g); h = σ(o)·act(c)
    step: (pre, [h, c], p) => {
      let z = tf.add(pre, tf.matMul(h as tf.Tensor2D, param(p, w.recurrent.path) as tf.Tensor2D));
      if (bias) z = tf.add(z, param(p, bias.path));
      const [zi, zf, zg, zo] = tf.split(z, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const cNew = tf.add(tf.mul(rec(zf), c!), tf.mul(rec(zi), act(zg)));
      return [tf.mul(rec(zo), act(cNew)), cNew];
    },
    fused: actName && recName ? { kind: 'lstm', act: actName, rec: recName } : null,
    stepParams: (p) => ({ kernel: param(p, w.recurrent.path), bias: bias ? param(p, bias.path) : null }),
    inputKernel: (p) => param(p, w.kernel.path), // LSTM's bias is added inside the step
  };
}

function gruCell(entry: LayerEntry, inputDim: number, sub: Sub): Cell {
  const units = positiveInt(entry, 'units');
  const act: ActivationFn = activationOf(entry.config.activation ?? 'tanh', entry.name).fn;
  const rec: ActivationFn = activationOf(entry.config.recurrent_activation ?? 'sigmoid', entry.name).fn;
  const after = entry.config.reset_after !== false;
  const [actName, recName] = [
    fusedName(entry.config.activation, 'tanh'),
    fusedName(entry.config.recurrent_activation, 'sigmoid'),
  ];
  const w = weights(entry, inputDim, units, 3, sub, after ? [2, 3 * units] : [3 * units]);
  const biasRow = (p: Map<string, tf.Tensor>, row: number) => {
    const b = param(p, w.bias!.path);
    return after ? tf.reshape(tf.slice(b, [row, 0], [1, 3 * units]), [3 * units]) : b;
  };
  return {
    units,
    stateSizes: [units],
    params: [w.kernel, w.recurrent, ...(w.bias ? [w.bias] : [])],
    // x·W + input bias, for every step
    inputProjection: (x, p) => {
      const m = project(x, param(p, w.kernel.path));
      return w.bias ? tf.add(m, biasRow(p, 0)) : m;
    },
    step: (pre, [h], p) => {
      const [xz, xr, xh] = tf.split(pre, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const u = param(p, w.recurrent.path) as tf.Tensor2D;
      let hh: tf.Tensor;
      let z: tf.Tensor;
      if (after) {
        // inner = h·U + recurrent bias; hh = act(x_h + r · inner_h)
        let inner: tf.Tensor = tf.matMul(h as tf.Tensor2D, u);
        if (w.bias) inner = tf.add(inner, biasRow(p, 1));
        const [rz, rr, rh] = tf.split(inner, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
        z = rec(tf.add(xz, rz));
        const r = rec(tf.add(xr, rr));
        hh = act(tf.add(xh, tf.mul(r, rh)));
      } else {
        // inner = h·U[:, :2u]; hh = act(x_h + (r·h)·U[:, 2u:])
        const inner = tf.matMul(h as tf.Tensor2D, tf.slice(u, [0, 0], [units, 2 * units]));
        const [rz, rr] = tf.split(inner, 2, 1) as [tf.Tensor, tf.Tensor];
        z = rec(tf.add(xz, rz));
        const r = rec(tf.add(xr, rr));
        hh = act(tf.add(xh, tf.matMul(tf.mul(r, h!) as tf.Tensor2D, tf.slice(u, [0, 2 * units], [units, units]))));
      }
      // h = z·h + (1 − z)·hh
      return [tf.add(tf.mul(z, h!), tf.mul(tf.sub(1, z), hh))];
    },
    fused: actName && recName ? { kind: 'gru', act: actName, rec: recName, resetAfter: after } : null,
    // reset_after: the bias's second row is added to h·U inside the step
    stepParams: (p) => ({ kernel: param(p, w.recurrent.path), bias: after && w.bias ? biasRow(p, 1) : null }),
    inputKernel: (p) => (w.bias ? null : param(p, w.kernel.path)),
  };
}

export function cellOf(kind: string, entry: LayerEntry, inputDim: number, sub: Sub): Cell {
  if (kind === 'LSTM') return lstmCell(entry, inputDim, sub);
  if (kind === 'GRU') return gruCell(entry, inputDim, sub);
  return simpleRnnCell(entry, inputDim, sub);
}
