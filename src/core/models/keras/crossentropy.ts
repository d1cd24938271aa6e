/**
 * Keras's categorical crossentropy (sparse or not, on probabilities or logits, with label smoothing) as
 * one differentiable op over the last axis. The loss head works on a few hundred values ([batch,
 * classes]); as tfjs ops it was ~30 kernels forward and backward (renormalise, clip, log, one-hot, and
 * their gradients), each costing more in dispatch than its arithmetic. Here one pass per row computes
 * the loss in float64 and one pass its gradient, as Keras 3 on JAX defines both (docs/tuning.md,
 * "The loss head"):
 *   probabilities: q = p / Σp, c = clip(q, ε, 1 − ε), loss = −Σ t·log c; jnp.clip's gradient is 1
 *     strictly inside [ε, 1 − ε], ½ on a bound (max/min split a tie), 0 outside;
 *   logits: loss = −Σ t·log_softmax(x), gradient softmax(x)·Σt − t.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Keras's ε (backend.epsilon(), 1e-7) and 1 − ε as the float32 bounds its clip compares against. */
const LOW = Math.fround(1e-7);
const HIGH = Math.fround(1 - 1e-7);

export interface CrossentropyForm {
  fromLogits: boolean;
  /** Targets become t·(1 − s) + s / classes (Keras's label_smoothing). */
  labelSmoothing: number;
}

/** Class ids, one per row (sparse), or a row of `classes` target weights per row. */
export type CrossentropyTargets = { ids: ArrayLike<number> } | { rows: ArrayLike<number> };

/** Row r's target weights, smoothed, written into `t`. */
function targetRow(targets: CrossentropyTargets, r: number, smoothing: number, t: Float64Array): void {
  const classes = t.length;
  const [keep, add] = [1 - smoothing, smoothing / classes];
  if ('ids' in targets) {
    t.fill(add);
    t[targets.ids[r]!]! += keep;
  } else for (let j = 0; j < classes; j++) t[j] = targets.rows[r * classes + j]! * keep + add;
}

/** What a row's gradient needs from its forward pass: the normalised (or softmax) row and its sum. */
interface RowState {
  /** q = p / Σp (probabilities) or softmax(x) (logits), per element. */
  q: Float64Array;
  /** Σp per row (probabilities; unused for logits). */
  sum: Float64Array;
}

function forwardRows(x: ArrayLike<number>, rows: number, classes: number, form: CrossentropyForm, targets: CrossentropyTargets) {
  const loss = new Float32Array(rows);
  const state: RowState = { q: new Float64Array(rows * classes), sum: new Float64Array(rows) };
  const t = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    const at = r * classes;
    targetRow(targets, r, form.labelSmoothing, t);
    let total = 0;
    if (form.fromLogits) {
      let max = -Infinity;
      for (let j = 0; j < classes; j++) max = Math.max(max, x[at + j]!);
      let z = 0;
      for (let j = 0; j < classes; j++) z += Math.exp(x[at + j]! - max);
      const lse = max + Math.log(z);
      for (let j = 0; j < classes; j++) {
        total -= t[j]! * (x[at + j]! - lse);
        state.q[at + j] = Math.exp(x[at + j]! - lse);
      }
    } else {
      let s = 0;
      for (let j = 0; j < classes; j++) s += x[at + j]!;
      state.sum[r] = s;
      for (let j = 0; j < classes; j++) {
        const q = x[at + j]! / s;
        state.q[at + j] = q;
        total -= t[j]! * Math.log(Math.min(Math.max(q, LOW), HIGH));
      }
    }
    loss[r] = total;
  }
  return { loss, state };
}

/** jnp.clip's derivative at q (maximum(ε, ·) then minimum(1 − ε, ·): a tie passes half). */
const clipSlope = (q: number): number => (q > LOW && q < HIGH ? 1 : q === LOW || q === HIGH ? 0.5 : 0);

function backwardRows(
  dy: ArrayLike<number>,
  state: RowState,
  classes: number,
  form: CrossentropyForm,
  targets: CrossentropyTargets,
): Float32Array {
  const rows = state.sum.length;
  const dx = new Float32Array(rows * classes);
  const t = new Float64Array(classes);
  const gq = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    const [at, g] = [r * classes, dy[r]!];
    targetRow(targets, r, form.labelSmoothing, t);
    if (form.fromLogits) {
      let tSum = 0;
      for (let j = 0; j < classes; j++) tSum += t[j]!;
      for (let j = 0; j < classes; j++) dx[at + j] = g * (state.q[at + j]! * tSum - t[j]!);
      continue;
    }
    // d loss / d q_j, then through q = p / Σp: d q_j / d p_k = (δ_jk − q_j) / Σp.
    let dot = 0;
    for (let j = 0; j < classes; j++) {
      const q = state.q[at + j]!;
      gq[j] = t[j] === 0 ? 0 : (-t[j]! / Math.min(Math.max(q, LOW), HIGH)) * clipSlope(q);
      dot += gq[j]! * q;
    }
    for (let j = 0; j < classes; j++) dx[at + j] = (g * (gq[j]! - dot)) / state.sum[r]!;
  }
  return dx;
}

/**
 * The crossentropy of each row of `out` ([..., classes]) against its targets, shape out.shape without
 * the last axis, differentiable in `out` (the targets are data).
 */
export function crossentropy(out: tf.Tensor, targets: CrossentropyTargets, form: CrossentropyForm): tf.Tensor {
  const classes = out.shape[out.rank - 1]!;
  const shape = out.shape.slice(0, -1);
  const rows = classes === 0 ? 0 : out.size / classes;
  const op = tf.customGrad((x) => {
    const { loss, state } = forwardRows((x as tf.Tensor).dataSync(), rows, classes, form, targets);
    return {
      value: tf.tensor(loss, shape, 'float32'),
      gradFunc: (dy: tf.Tensor) => tf.tensor(backwardRows(dy.dataSync(), state, classes, form, targets), out.shape, 'float32'),
    };
  });
  return op(out);
}
