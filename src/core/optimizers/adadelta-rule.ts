/**
 * Keras's Adadelta update_step, element by element, written once over an abstract arithmetic
 * (docs/adadelta-kernels.md). Every kernel is derived from these formulas: the JS loops from them over JS
 * expressions, the WASM SIMD kernel over instructions, the tensor kernel over tfjs ops. The operation
 * order is Keras's exactly, so each kernel gives Keras's bits.
 */

/** The five operations the update uses, on values of type T (an expression, an instruction, a tensor). */
export interface Arithmetic<T> {
  add(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  sqrt(a: T): T;
  neg(a: T): T;
}

/** The scalar hyper-parameters one Adadelta step needs. `lr` is already the float32 value Keras uses. */
export interface AdadeltaScalars {
  lr: number;
  rho: number;
  epsilon: number;
}

/** The hyper-parameters as values of the arithmetic, in the variable's dtype. */
export interface AdadeltaConstants<T> {
  rho: T;
  /** 1 − ρ, computed in float64 before the cast, as Keras does with the Python float. */
  oneMinusRho: T;
  /** ρ − 1 (the sparse branch's decay), likewise. */
  rhoMinusOne: T;
  epsilon: T;
  lr: T;
}

const f32 = Math.fround;

/** The constants as float32 numbers. */
export function float32Constants(s: AdadeltaScalars): AdadeltaConstants<number> {
  return { rho: f32(s.rho), oneMinusRho: f32(1 - s.rho), rhoMinusOne: f32(s.rho - 1), epsilon: f32(s.epsilon), lr: f32(s.lr) };
}

/** The constants as float64 numbers; lr stays the float32 value (Keras keeps it in a float32 variable). */
export function float64Constants(s: AdadeltaScalars): AdadeltaConstants<number> {
  return { rho: s.rho, oneMinusRho: 1 - s.rho, rhoMinusOne: s.rho - 1, epsilon: s.epsilon, lr: f32(s.lr) };
}

type Uses<T, K extends keyof AdadeltaConstants<T>> = Pick<AdadeltaConstants<T>, K>;

/** Dense E[g²] ← ρ·E[g²] + ((1−ρ)·g)·g. */
export function accumulatedGrad<T>(A: Arithmetic<T>, c: Uses<T, 'rho' | 'oneMinusRho'>, eg: T, g: T): T {
  return A.add(A.mul(c.rho, eg), A.mul(A.mul(c.oneMinusRho, g), g));
}

/** Sparse, every row: E[g²] + (ρ−1)·E[g²]. */
export function decayedAccumulatedGrad<T>(A: Arithmetic<T>, c: Uses<T, 'rhoMinusOne'>, eg: T): T {
  return A.add(eg, A.mul(c.rhoMinusOne, eg));
}

/** Sparse, rows with a gradient: the share added to the decayed E[g²], (1−ρ)·(g·g) (not ((1−ρ)·g)·g). */
export function squaredGradShare<T>(A: Arithmetic<T>, c: Uses<T, 'oneMinusRho'>, g: T): T {
  return A.mul(c.oneMinusRho, A.mul(g, g));
}

/** Sparse, rows with a gradient: E[g²] ← decayed + share (a scatter-add in Keras). */
export function withGradShare<T>(A: Arithmetic<T>, decayed: T, share: T): T {
  return A.add(decayed, share);
}

/** Δx ← (−√(E[Δx²] + ε)·g) / √(E[g²] + ε), with the new E[g²] and the old E[Δx²]. */
export function delta<T>(A: Arithmetic<T>, c: Uses<T, 'epsilon'>, ed: T, eg: T, g: T): T {
  return A.div(A.mul(A.neg(A.sqrt(A.add(ed, c.epsilon))), g), A.sqrt(A.add(eg, c.epsilon)));
}

/** E[Δx²] ← ρ·E[Δx²] + ((1−ρ)·Δx)·Δx. */
export function accumulatedDelta<T>(A: Arithmetic<T>, c: Uses<T, 'rho' | 'oneMinusRho'>, ed: T, d: T): T {
  return A.add(A.mul(c.rho, ed), A.mul(A.mul(c.oneMinusRho, d), d));
}

/** v ← v + lr·Δx. */
export function updatedValue<T>(A: Arithmetic<T>, c: Uses<T, 'lr'>, v: T, d: T): T {
  return A.add(v, A.mul(c.lr, d));
}
