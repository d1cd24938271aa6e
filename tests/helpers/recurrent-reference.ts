/**
 * An independent float64 reference for the recurrent layers' scan (Keras 3's cells written out
 * element by element, no tfjs), and central-difference gradients of any float64 function, for the
 * whole-sequence kernel's tests and the recurrent layers' tests on every compute path.
 */
export type Act = 'tanh' | 'sigmoid' | 'relu' | 'linear';
export type RefCell =
  { kind: 'lstm'; act: Act; rec: Act } | { kind: 'gru'; act: Act; rec: Act; resetAfter: boolean } | { kind: 'simple'; act: Act };

const f = (a: Act, x: number): number =>
  a === 'tanh' ? Math.tanh(x) : a === 'sigmoid' ? 1 / (1 + Math.exp(-x)) : a === 'relu' ? Math.max(x, 0) : x;

export const gatesOfRef = (c: RefCell): number => (c.kind === 'lstm' ? 4 : c.kind === 'gru' ? 3 : 1);
export const statesOfRef = (c: RefCell): number => (c.kind === 'lstm' ? 2 : 1);

export interface RefSequence {
  batch: number;
  time: number;
  units: number;
  reverse: boolean;
  zeroOutput: boolean;
  /** [batch][time] in input order, 0 = masked; null = no mask. */
  keep: number[][] | null;
}

/** h·M[:, c0:c0+n] for one row h ([u]) of a [u, cols] row-major matrix. */
function rowTimes(h: ArrayLike<number>, m: ArrayLike<number>, cols: number, c0: number, n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (let i = 0; i < h.length; i++) for (let j = 0; j < n; j++) out[j]! += h[i]! * m[i * cols + c0 + j]!;
  return out;
}

/** One cell step for one row: the new states (output first). `bias` is LSTM's bias or GRU's recurrent bias. */
function step(
  c: RefCell,
  pre: number[],
  states: number[][],
  U: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  u: number,
): number[][] {
  const G = gatesOfRef(c) * u;
  const h = states[0]!;
  if (c.kind === 'simple') {
    const r = rowTimes(h, U, u, 0, u);
    return [r.map((v, j) => f(c.act, pre[j]! + v))];
  }
  if (c.kind === 'lstm') {
    const r = rowTimes(h, U, G, 0, G);
    const z = r.map((v, j) => pre[j]! + v + (bias ? bias[j]! : 0));
    const cell = states[1]!;
    const cNew = cell.map((cp, j) => f(c.rec, z[u + j]!) * cp + f(c.rec, z[j]!) * f(c.act, z[2 * u + j]!));
    return [cNew.map((cv, j) => f(c.rec, z[3 * u + j]!) * f(c.act, cv)), cNew];
  }
  const inner = rowTimes(h, U, G, 0, c.resetAfter ? G : 2 * u).map((v, j) => v + (c.resetAfter && bias ? bias[j]! : 0));
  const z = Array.from({ length: u }, (_, j) => f(c.rec, pre[j]! + inner[j]!));
  const r = Array.from({ length: u }, (_, j) => f(c.rec, pre[u + j]! + inner[u + j]!));
  const recurrent = c.resetAfter
    ? r.map((rv, j) => rv * inner[2 * u + j]!)
    : rowTimes(
        r.map((rv, j) => rv * h[j]!),
        U,
        G,
        2 * u,
        u,
      );
  const hh = recurrent.map((v, j) => f(c.act, pre[2 * u + j]! + v));
  return [z.map((zv, j) => zv * h[j]! + (1 - zv) * hh[j]!)];
}

/**
 * The scan: pre [batch, time, G·u] (input order), U [u, G·u], init states ([batch·u] each, or null:
 * zeros) → [batch, time + states, units]: outputs in processing order, then the final states.
 */
export function referenceScan(
  c: RefCell,
  q: RefSequence,
  pre: ArrayLike<number>,
  U: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  init: ArrayLike<number>[] | null,
): Float64Array {
  const { batch: B, time: T, units: u } = q;
  const G = gatesOfRef(c) * u;
  const S = statesOfRef(c);
  const out = new Float64Array(B * (T + S) * u);
  for (let b = 0; b < B; b++) {
    let states = Array.from({ length: S }, (_, k) =>
      init ? Array.from({ length: u }, (_, j) => init[k]![b * u + j]!) : new Array<number>(u).fill(0),
    );
    for (let s = 0; s < T; s++) {
      const ti = q.reverse ? T - 1 - s : s;
      const row = Array.from({ length: G }, (_, j) => pre[(b * T + ti) * G + j]!);
      const next = step(c, row, states, U, bias, u);
      const keep = q.keep === null || q.keep[b]![ti] !== 0;
      const y = keep ? next[0]! : q.zeroOutput ? new Array<number>(u).fill(0) : states[0]!;
      if (keep) states = next;
      y.forEach((v, j) => (out[(b * (T + S) + s) * u + j] = v));
    }
    states.forEach((st, k) => st.forEach((v, j) => (out[(b * (T + S) + T + k) * u + j] = v)));
  }
  return out;
}

/** ∂fn/∂x[i] for every i, by central differences in float64 (step h). */
export function numericGradient(fn: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-6): Float64Array {
  const at = Float64Array.from(x);
  return at.map((v, i) => {
    at[i] = v + h;
    const up = fn(at);
    at[i] = v - h;
    const down = fn(at);
    at[i] = v;
    return (up - down) / (2 * h);
  });
}

/** Σ w·y: the scalar whose gradients the tests compare. */
export const weighted = (y: ArrayLike<number>, w: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i]! * w[i]!;
  return s;
};

/** Asserts got ≈ want within `tol` of want's largest magnitude (float32 against float64). */
export function assertClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  if (got.length !== want.length) throw new Error(`${label}: ${got.length} values, reference ${want.length}`);
  let scale = 1e-3;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(got[i]! - want[i]!) <= tol * scale))
      throw new Error(`${label}[${i}] = ${got[i]}, float64 reference ${want[i]} (tolerance ${tol} × ${scale.toExponential(2)})`);
}
