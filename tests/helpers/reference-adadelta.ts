/**
 * An independent float64 Adadelta written from Keras's update_step (docs/optimizer-contract.md, "The
 * Adadelta update step"), with no float32 rounding: the tests compare the library to it within float32
 * tolerance.
 */
export interface RefState {
  x: number[];
  eg: number[];
  ed: number[];
}

export function refInit(x: number[]): RefState {
  return { x: [...x], eg: x.map(() => 0), ed: x.map(() => 0) };
}

export function refDenseStep(s: RefState, g: number[], lr: number, rho: number, eps: number): void {
  for (let i = 0; i < s.x.length; i++) {
    s.eg[i] = rho * s.eg[i]! + (1 - rho) * g[i]! * g[i]!;
    const delta = (-Math.sqrt(s.ed[i]! + eps) * g[i]!) / Math.sqrt(s.eg[i]! + eps);
    s.ed[i] = rho * s.ed[i]! + (1 - rho) * delta * delta;
    s.x[i] = s.x[i]! + lr * delta;
  }
}

/** L2 clip of a whole gradient, and the global-norm scale, in float64. */
export function refClipByNorm(g: number[], c: number): number[] {
  const n = Math.sqrt(g.reduce((a, v) => a + v * v, 0));
  return g.map((v) => (v * c) / Math.max(n, c));
}

export function refGlobalScale(gs: number[][], c: number): number {
  const n = Math.sqrt(gs.flat().reduce((a, v) => a + v * v, 0));
  return c * Math.min(1 / n, 1 / c);
}

/** Seeded uniform numbers in [lo, hi) (mulberry32), so tests are repeatable. */
export function seededValues(seed: number, n: number, lo = -1, hi = 1): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296));
  }
  return out;
}
