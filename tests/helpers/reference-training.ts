/**
 * An independent float64 reference of training, written from the definitions (Keras's layers, the
 * softmax cross-entropy over logits, and Adadelta as the spec's update_step), with nothing taken from
 * src/: forward by plain loops, gradients by central differences of that forward, then Adadelta.
 * Tests hold real worker runs to it, so "it learns the right numbers" is checked on every compute
 * path, not only "path A equals path B".
 */

export type RefLayer =
  | { kind: 'dense'; kernel: string; bias: string; units: number; relu: boolean }
  | {
      kind: 'conv2d';
      kernel: string;
      bias: string;
      filters: number;
      size: [number, number];
      padding: 'valid' | 'same';
      relu: boolean;
    }
  /** 2×2 windows, stride 2, valid padding. */
  | { kind: 'maxPool2d' }
  | { kind: 'flatten' }
  /** Ids (the example's values) to rows of `table`: [steps] → [steps, dim]. */
  | { kind: 'embedding'; table: string; dim: number }
  /** Mean over the first axis: [steps, d] → [d] (GlobalAveragePooling1D). */
  | { kind: 'meanOverSteps' };

/** A model whose output is logits for a softmax cross-entropy with integer labels. */
export interface RefModel {
  input: number[];
  layers: RefLayer[];
}

export type RefParams = Map<string, Float64Array>;

interface Value {
  data: Float64Array;
  shape: number[];
}

/**
 * The distance of a forward pass from the points where the loss has no derivative: a ReLU's input
 * at 0, two maxima of a pool window equal. There float32 and float64 may take different sides, and
 * a central difference straddles the kink (half the slope), so a test's data must keep away.
 */
export interface KinkMargin {
  margin: number;
}

function relu(v: Float64Array, kinks?: KinkMargin): Float64Array {
  if (kinks) for (const e of v) kinks.margin = Math.min(kinks.margin, Math.abs(e));
  return v.map((e) => (e > 0 ? e : 0));
}

function dense(h: Value, W: Float64Array, b: Float64Array, units: number, useRelu: boolean, kinks?: KinkMargin): Value {
  const n = h.data.length; // Keras's Dense works on the last axis; here inputs are flat vectors
  const out = new Float64Array(units);
  for (let u = 0; u < units; u++) {
    let s = b[u]!;
    for (let i = 0; i < n; i++) s += h.data[i]! * W[i * units + u]!;
    out[u] = s;
  }
  return { data: useRelu ? relu(out, kinks) : out, shape: [units] };
}

/** TensorFlow's 'same' padding puts the odd extra pixel after. */
function padBefore(size: number, k: number, padding: 'valid' | 'same'): { out: number; before: number } {
  if (padding === 'valid') return { out: size - k + 1, before: 0 };
  return { out: size, before: Math.floor((k - 1) / 2) };
}

function conv2d(h: Value, W: Float64Array, b: Float64Array, l: Extract<RefLayer, { kind: 'conv2d' }>, kinks?: KinkMargin): Value {
  const [H, Wd, C] = h.shape as [number, number, number];
  const [kh, kw] = l.size;
  const gh = padBefore(H, kh, l.padding);
  const gw = padBefore(Wd, kw, l.padding);
  const F = l.filters;
  const out = new Float64Array(gh.out * gw.out * F);
  for (let oy = 0; oy < gh.out; oy++) {
    for (let ox = 0; ox < gw.out; ox++) {
      for (let f = 0; f < F; f++) {
        let s = b[f]!;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const y = oy + i - gh.before;
            const x = ox + j - gw.before;
            if (y < 0 || y >= H || x < 0 || x >= Wd) continue;
            for (let c = 0; c < C; c++) s += h.data[(y * Wd + x) * C + c]! * W[((i * kw + j) * C + c) * F + f]!;
          }
        }
        out[(oy * gw.out + ox) * F + f] = s;
      }
    }
  }
  return { data: l.relu ? relu(out, kinks) : out, shape: [gh.out, gw.out, F] };
}

function maxPool2d(h: Value, kinks?: KinkMargin): Value {
  const [H, Wd, C] = h.shape as [number, number, number];
  const oh = Math.floor(H / 2);
  const ow = Math.floor(Wd / 2);
  const out = new Float64Array(oh * ow * C);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let c = 0; c < C; c++) {
        let m = -Infinity;
        let second = -Infinity;
        for (let i = 0; i < 2; i++) {
          for (let j = 0; j < 2; j++) {
            const v = h.data[((2 * y + i) * Wd + 2 * x + j) * C + c]!;
            if (v > m) [m, second] = [v, m];
            else second = Math.max(second, v);
          }
        }
        // A window of ReLU zeros routes a zero slope whichever wins: only positive runners-up count.
        if (kinks && second > 0) kinks.margin = Math.min(kinks.margin, m - second);
        out[(y * ow + x) * C + c] = m;
      }
    }
  }
  return { data: out, shape: [oh, ow, C] };
}

function embedding(h: Value, table: Float64Array, dim: number): Value {
  const out = new Float64Array(h.data.length * dim);
  h.data.forEach((id, s) => out.set(table.subarray(id * dim, (id + 1) * dim), s * dim));
  return { data: out, shape: [h.data.length, dim] };
}

function meanOverSteps(h: Value): Value {
  const [steps, d] = h.shape as [number, number];
  const out = new Float64Array(d);
  for (let s = 0; s < steps; s++) for (let k = 0; k < d; k++) out[k] += h.data[s * d + k]!;
  return { data: out.map((v) => v / steps), shape: [d] };
}

export function refLogits(model: RefModel, params: RefParams, example: Float64Array, kinks?: KinkMargin): Float64Array {
  let h: Value = { data: example, shape: [...model.input] };
  const p = (path: string) => {
    const v = params.get(path);
    if (!v) throw new Error(`reference: no parameter ${path}`);
    return v;
  };
  for (const l of model.layers) {
    if (l.kind === 'dense') h = dense(h, p(l.kernel), p(l.bias), l.units, l.relu, kinks);
    else if (l.kind === 'conv2d') h = conv2d(h, p(l.kernel), p(l.bias), l, kinks);
    else if (l.kind === 'maxPool2d') h = maxPool2d(h, kinks);
    else if (l.kind === 'flatten') h = { data: h.data, shape: [h.data.length] };
    else if (l.kind === 'embedding') h = embedding(h, p(l.table), l.dim);
    else h = meanOverSteps(h);
  }
  return h.data;
}

/** Mean softmax cross-entropy of the logits against integer labels, over rows `rows` of (x, y). */
export function refLoss(
  model: RefModel,
  params: RefParams,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  rows: number[],
  kinks?: KinkMargin,
): number {
  const size = model.input.reduce((a, b) => a * b, 1);
  let total = 0;
  for (const r of rows) {
    const z = refLogits(
      model,
      params,
      Float64Array.from({ length: size }, (_, i) => x[r * size + i]!),
      kinks,
    );
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
    total += lse - z[y[r]!]!;
  }
  return total / rows.length;
}

/** Gradient of refLoss with respect to every parameter, by central differences (float64, h = 1e-6). */
export function refGrads(
  model: RefModel,
  params: RefParams,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  rows: number[],
): RefParams {
  const h = 1e-6;
  const out: RefParams = new Map();
  for (const [path, p] of params) {
    const g = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const saved = p[i]!;
      p[i] = saved + h;
      const up = refLoss(model, params, x, y, rows);
      p[i] = saved - h;
      const down = refLoss(model, params, x, y, rows);
      p[i] = saved;
      g[i] = (up - down) / (2 * h);
    }
    out.set(path, g);
  }
  return out;
}

export interface RefAdadelta {
  learningRate: number;
  rho: number;
  epsilon: number;
  /** Per-variable L2 clipping (Keras's clipnorm), applied to the mean gradient before the update. */
  clipnorm?: number;
}

export interface RefState {
  params: RefParams;
  /** E[g²] and E[Δx²] per parameter (Keras's accumulated_grad, accumulated_delta_var). */
  accumulatedGrad: RefParams;
  accumulatedDelta: RefParams;
}

export function refState(params: RefParams): RefState {
  const zeros = () => new Map([...params].map(([k, v]) => [k, new Float64Array(v.length)]));
  return {
    params: new Map([...params].map(([k, v]) => [k, Float64Array.from(v)])),
    accumulatedGrad: zeros(),
    accumulatedDelta: zeros(),
  };
}

/** One Adadelta step (Keras's update_step: the new E[g²] and the old E[Δx²]) in float64. */
export function refAdadeltaStep(s: RefState, grads: RefParams, o: RefAdadelta): void {
  for (const [path, x] of s.params) {
    let g = grads.get(path)!;
    if (o.clipnorm !== undefined) {
      const norm = Math.sqrt(g.reduce((a, v) => a + v * v, 0));
      if (norm > o.clipnorm) g = g.map((v) => (v * o.clipnorm!) / norm);
    }
    const eg = s.accumulatedGrad.get(path)!;
    const ed = s.accumulatedDelta.get(path)!;
    for (let i = 0; i < x.length; i++) {
      eg[i] = o.rho * eg[i]! + (1 - o.rho) * g[i]! * g[i]!; // E[g²]
      const delta = (-Math.sqrt(ed[i]! + o.epsilon) / Math.sqrt(eg[i]! + o.epsilon)) * g[i]!;
      ed[i] = o.rho * ed[i]! + (1 - o.rho) * delta * delta; // E[Δx²]
      x[i] = x[i]! + o.learningRate * delta;
    }
  }
}

/**
 * Trains the reference for `steps` global batches of `batch` rows in file order (a run's
 * `shuffle: false`: batch t is rows t·B … t·B+B−1, wrapping), returning each step's loss (before
 * its update), the final state, and how near the steps' forward passes came to a kink (KinkMargin).
 */
export function refTrain(
  model: RefModel,
  initial: RefParams,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  numRows: number,
  batch: number,
  steps: number,
  o: RefAdadelta,
): { losses: number[]; gradNorms: number[]; state: RefState; kinkMargin: number } {
  const state = refState(initial);
  const losses: number[] = [];
  const gradNorms: number[] = [];
  const kinks: KinkMargin = { margin: Infinity };
  for (let t = 0; t < steps; t++) {
    const rows = Array.from({ length: batch }, (_, i) => (t * batch + i) % numRows);
    losses.push(refLoss(model, state.params, x, y, rows, kinks));
    const grads = refGrads(model, state.params, x, y, rows);
    let squares = 0;
    for (const g of grads.values()) for (const v of g) squares += v * v;
    gradNorms.push(Math.sqrt(squares));
    refAdadeltaStep(state, grads, o);
  }
  return { losses, gradNorms, state, kinkMargin: kinks.margin };
}
