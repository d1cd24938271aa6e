/**
 * MultiHeadAttention on [batch, time, features] inputs (self and cross attention, use_causal_mask, the
 * inputs' Keras masks and an attention_mask), as Keras 3 computes it on JAX with dropout 0: projected
 * q, k, v (EinsumDense `query`, `key`, `value`), logits = q·kᵀ × 1/√key_dim, masked positions set to
 * −0.7·FLT_MAX, softmax over the keys, probabilities · v, then the `attention_output` projection.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from '../parts';
import { fail } from './config';
import { param, positiveInt, tensorSlots, variable, type Translator } from './layer-types';
import { regularizersOf } from './regularizers';
import { maskFor } from './masking';
import { scaledSoftmax } from '../../tfjs/softmax';
import { headsMatMul, type HeadsMatMulAttrs } from '../../tfjs/heads-matmul';

const MASKED = -0.7 * 3.4028234663852886e38;
/** Every operand and the output [batch, time, heads, dim], no transposes; the products override some. */
const BY_ROW: HeadsMatMulAttrs = { transposeA: false, transposeB: false, layoutA: 'byRow', layoutB: 'byRow', layoutOut: 'byRow' };

export const multiHeadAttention: Translator = (entry, inShapes) => {
  const c = entry.config;
  if (typeof c.dropout === 'number' && c.dropout > 0)
    fail(`layer "${entry.name}" (MultiHeadAttention): dropout ${c.dropout} is not supported (0)`);
  for (const k of ['use_gate', 'sliding_window'])
    if (c[k] !== undefined && c[k] !== null && c[k] !== false)
      fail(`layer "${entry.name}" (MultiHeadAttention): ${k} ${JSON.stringify(c[k])} is not supported`);
  // Keras saves the axes it built with: (1,) — the time axis — for [batch, time, features] inputs.
  const axes = c.attention_axes;
  if (axes != null && !(Array.isArray(axes) && axes.length === 1 && (axes[0] === 1 || axes[0] === -2)))
    fail(`layer "${entry.name}" (MultiHeadAttention): attention_axes ${JSON.stringify(axes)} is not supported (the time axis)`);
  const slots = tensorSlots(entry);
  const at = (name: string, pos: string) => {
    const i = slots.indexOf(name) >= 0 ? slots.indexOf(name) : slots.indexOf(pos);
    return i >= 0 ? i : null;
  };
  const qi = at('query', '0') ?? fail(`layer "${entry.name}" (MultiHeadAttention) has no query`);
  const vi = at('value', '1') ?? fail(`layer "${entry.name}" (MultiHeadAttention) has no value`);
  const ki = at('key', '2') ?? vi;
  const mi = at('attention_mask', '3');
  // Keras masks given as keywords (Keras 3 on JAX masks only what the saved call passes).
  const masks = { q: at('query_mask', '-'), v: at('value_mask', '-'), k: at('key_mask', '-') };
  const known = new Set([qi, vi, ki, mi, masks.q, masks.v, masks.k]);
  slots.forEach(
    (s, i) => known.has(i) || fail(`layer "${entry.name}" (MultiHeadAttention): call argument ${s} is not supported`),
  );
  const kw = entry.call?.kwargs ?? {};
  if (kw.return_attention_scores === true)
    fail(`layer "${entry.name}" (MultiHeadAttention): return_attention_scores is not supported`);
  const causal = kw.use_causal_mask === true;
  const [q, v, k] = [inShapes[qi]!, inShapes[vi]!, inShapes[ki]!];
  if (q.length !== 2 || v.length !== 2 || k.length !== 2 || v[0] !== k[0])
    fail(
      `layer "${entry.name}" (MultiHeadAttention): query, value and key must be [batch, time, features] with value and key of one length`,
    );
  const heads = positiveInt(entry, 'num_heads');
  const keyDim = positiveInt(entry, 'key_dim');
  const valueDim = c.value_dim == null ? keyDim : positiveInt(entry, 'value_dim');
  const outDim =
    c.output_shape == null
      ? q[1]!
      : Array.isArray(c.output_shape)
        ? (c.output_shape as number[])[0]!
        : (c.output_shape as number);
  const bias = c.use_bias !== false;
  const dense = (name: string, h5: string, kernel: number[], b: number[]): ParamSpec[] => [
    variable(entry, 'kernel', 0, kernel, 'kernel_initializer', 'GlorotUniform', { h5, path: name }),
    ...(bias ? [variable(entry, 'bias', 1, b, 'bias_initializer', 'Zeros', { h5, path: name })] : []),
  ];
  const parts = {
    query: dense('query', 'query_dense', [q[1]!, heads, keyDim], [heads, keyDim]),
    key: dense('key', 'key_dense', [k[1]!, heads, keyDim], [heads, keyDim]),
    value: dense('value', 'value_dense', [v[1]!, heads, valueDim], [heads, valueDim]),
    output: dense('attention_output', 'output_dense', [heads, valueDim, outDim], [outDim]),
  };
  const params = [...parts.query, ...parts.key, ...parts.value, ...parts.output];
  const regularizers = Object.values(parts).flatMap((ps) =>
    regularizersOf(entry, ps, { kernel_regularizer: 0, bias_regularizer: 1 }),
  );
  /**
   * x [b, t, d] · W [d, heads, dim] (+ bias [heads, dim]) → [b, t, heads, dim], the heads in the
   * product's own layout (headsMatMul reads them there: no transpose). `flat` holds x as [b·t, d] per
   * input tensor: self-attention reshapes its one input once, not three times. The bias broadcasts
   * over [b, t, heads, dim], so neither it nor the product needs a reshape of its own.
   */
  const projectHeads = (x: tf.Tensor, ps: ParamSpec[], p: Map<string, tf.Tensor>, flat: Map<tf.Tensor, tf.Tensor2D>) => {
    const [b, t, d] = x.shape as [number, number, number];
    const w = param(p, ps[0]!.path);
    const dim = w.shape[2]!;
    if (!flat.has(x)) flat.set(x, tf.reshape(x, [b * t, d]));
    const y = tf.reshape(tf.matMul(flat.get(x)!, tf.reshape(w, [d, heads * dim]) as tf.Tensor2D), [b, t, heads, dim]);
    return ps[1] ? tf.add(y, param(p, ps[1].path)) : y;
  };
  return {
    outShape: [q[0]!, outDim],
    params,
    regularizers,
    maskUse: 'sequence',
    apply: (inputs, p, _ctx, propagated) => {
      const [query, value, key] = [inputs[qi]!, inputs[vi]!, inputs[ki]!];
      const [b, t] = query.shape as [number, number];
      const s = value.shape[1]!;
      const flat = new Map<tf.Tensor, tf.Tensor2D>();
      const qh = projectHeads(query, parts.query, p, flat);
      const kh = projectHeads(key, parts.key, p, flat);
      const vh = projectHeads(value, parts.value, p, flat);
      // [b, heads, t, s], before the 1/√key_dim scale
      const raw = headsMatMul(qh, kh, { ...BY_ROW, transposeB: true, layoutOut: 'byHead' });
      // Keras: query_mask is the query's mask; value_mask and key_mask the keyword tensors, else their inputs'.
      const qm = propagated?.[qi] ?? null;
      const vm = maskFor(inputs, propagated, masks.v, vi);
      const km = ki !== vi ? maskFor(inputs, propagated, masks.k, ki) : null;
      const mask = attentionMask(inputs, { qi, mi, qm, vm, km }, causal, t, s);
      const scale = 1 / Math.sqrt(keyDim);
      // Unmasked, the scale and the softmax are one op with a fused gradient (tfjs/softmax.ts). Masked,
      // the tfjs ops: a fully masked row's uniform probabilities must send no gradient to its logits.
      const probs = mask
        ? tf.softmax(tf.where(tf.expandDims(mask, 1), tf.mul(raw, scale), tf.fill(raw.shape, MASKED)))
        : scaledSoftmax(raw, scale);
      // [b, t, heads, valueDim]: the output projection's rows [b·t, heads·valueDim] by a reshape.
      const attended = headsMatMul(probs, vh, { ...BY_ROW, layoutA: 'byHead' });
      const merged = tf.reshape(attended, [b * t, heads * valueDim]);
      const wo = param(p, parts.output[0]!.path);
      let out: tf.Tensor = tf.matMul(merged as tf.Tensor2D, tf.reshape(wo, [heads * valueDim, outDim]) as tf.Tensor2D);
      if (parts.output[1]) out = tf.add(out, param(p, parts.output[1].path));
      return tf.reshape(out, [b, t, outDim]);
    },
  };
};

/** Keras's _compute_attention_mask: query mask [b,t,1] ∧ value mask [b,1,s] ∧ key mask ∧ causal ∧ attention_mask; null if none. */
function attentionMask(
  inputs: tf.Tensor[],
  at: { qi: number; mi: number | null; qm: tf.Tensor | null; vm: tf.Tensor | null; km: tf.Tensor | null },
  causal: boolean,
  t: number,
  s: number,
): tf.Tensor | null {
  const parts: tf.Tensor[] = [];
  const { qm, vm, km } = at;
  if (qm) parts.push(tf.expandDims(tf.cast(qm, 'bool'), -1));
  if (vm) parts.push(tf.expandDims(tf.cast(vm, 'bool'), -2));
  if (km) parts.push(tf.expandDims(tf.cast(km, 'bool'), -2));
  if (causal) parts.push(tf.expandDims(tf.cast(tf.linalg.bandPart(tf.ones([t, s]), -1, 0), 'bool'), 0));
  if (at.mi !== null) parts.push(tf.cast(inputs[at.mi]!, 'bool'));
  if (parts.length === 0) return null;
  const [b] = inputs[at.qi]!.shape as [number];
  return tf.broadcastTo(
    parts.reduce((a, m) => tf.logicalAnd(a, m)),
    [b, t, s],
  );
}
