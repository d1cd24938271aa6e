/**
 * The JS loops of the fused Adadelta kernel, derived from the element rule (adadelta-rule.ts): the rule
 * runs over an arithmetic whose values are JS expressions, and each loop is compiled once from the
 * expressions it yields. Generated rather than written to call the rule: V8 then sees one plain loop
 * per array type and branch, as fast as the formulas written out by hand, where loops calling the
 * rule's functions ran 5–15% slower, and 2–10x slower once float32 and float64 loops had both run
 * (the rule's calls turned polymorphic). docs/adadelta-kernels.md has the measurements.
 */
import {
  accumulatedDelta,
  accumulatedGrad,
  decayedAccumulatedGrad,
  delta,
  float32Constants,
  float64Constants,
  squaredGradShare,
  updatedValue,
  withGradShare,
  type AdadeltaConstants,
  type AdadeltaScalars,
  type Arithmetic,
} from '../adadelta-rule';

type Floats = Float32Array | Float64Array;
export type DenseLoop<A extends Floats> = (v: A, eg: A, ed: A, g: Floats, s: AdadeltaScalars) => void;
export type SparseLoop<A extends Floats> = (
  v: A,
  eg: A,
  ed: A,
  mark: Int32Array,
  values: Floats,
  rowSize: number,
  s: AdadeltaScalars,
) => void;

/** JS expressions of one dtype: float32 rounds every result with r (Math.fround), as float32 ops do. */
interface Expressions extends Arithmetic<string> {
  /** An element read from an array, in this dtype. */
  read(x: string): string;
}

function expressions(float32: boolean): Expressions {
  const round = (x: string) => (float32 ? `r(${x})` : `(${x})`);
  return {
    add: (a, b) => round(`${a} + ${b}`),
    mul: (a, b) => round(`${a} * ${b}`),
    div: (a, b) => round(`${a} / ${b}`),
    sqrt: (a) => round(`Math.sqrt(${a})`),
    neg: (a) => `(-${a})`,
    read: (x) => (float32 ? `r(${x})` : x),
  };
}

/** The constants' names inside a generated loop. */
const C: AdadeltaConstants<string> = { rho: 'rho', oneMinusRho: 'omr', rhoMinusOne: 'rm1', epsilon: 'eps', lr: 'lr' };

/** Δx from the new E[g²] `e` and gradient `gi`, then E[Δx²] and v, for element i. */
function deltaAndValue(A: Expressions): string {
  return `const edi = ed[i];
      const d = ${delta(A, C, 'edi', 'e', 'gi')};
      ed[i] = ${accumulatedDelta(A, C, 'edi', 'd')};
      v[i] = ${updatedValue(A, C, 'v[i]', 'd')};`;
}

function denseSource(A: Expressions): string {
  return `for (let i = 0, n = v.length; i < n; i++) {
      const gi = ${A.read('g[i]')};
      const e = ${accumulatedGrad(A, C, 'eg[i]', 'gi')};
      eg[i] = e;
      ${deltaAndValue(A)}
    }`;
}

/**
 * One pass over all rows. `mark[row]` is 1 + the row's position in `values`, or 0: that row has no
 * gradient, its accumulators only decay and g = 0 gives Δx = −0 (Keras's scatter on a dense state).
 */
function sparseSource(A: Expressions): string {
  return `const numRows = v.length / rowSize;
    for (let row = 0; row < numRows; row++) {
      const k = mark[row] - 1;
      const base = row * rowSize;
      if (k < 0) {
        ${decayOnlySource(A)}
        continue;
      }
      for (let j = 0; j < rowSize; j++) {
        const i = base + j;
        let e = ${decayedAccumulatedGrad(A, C, 'eg[i]')};
        let gi = 0;
        if (k >= 0) {
          gi = ${A.read('values[k * rowSize + j]')};
          e = ${withGradShare(A, 'e', squaredGradShare(A, C, 'gi'))};
        }
        eg[i] = e;
        ${deltaAndValue(A)}
      }
    }`;
}

/**
 * A row without a gradient (most rows of an Embedding table): g = 0, so where both square roots are
 * finite and the denominator's is positive Δx is exactly −0, E[Δx²] gains (+0) and v gains lr·(−0):
 * the rule's own results without its square roots and division. Other states (NaN, ∞, a negative
 * sum) take the rule's full expression.
 */
function decayOnlySource(A: Expressions): string {
  return `for (let j = 0; j < rowSize; j++) {
          const i = base + j;
          const e = ${decayedAccumulatedGrad(A, C, 'eg[i]')};
          eg[i] = e;
          const edi = ed[i];
          const num = ${A.add('edi', C.epsilon)};
          const den = ${A.add('e', C.epsilon)};
          if (num >= 0 && num < Infinity && den > 0 && den < Infinity) {
            ed[i] = ${A.add(A.mul(C.rho, 'edi'), '0')};
            v[i] = ${updatedValue(A, C, 'v[i]', '-0')};
          } else {
            const gi = 0;
            ${deltaAndValue(A)}
          }
        }`;
}

/**
 * Compiles `body` as a function of `params` that starts with the constants in locals. The source is
 * made only from the rule and the fixed text above (no data), once per loop when this module loads.
 */
function compile<F>(
  name: string,
  params: string[],
  body: string,
  constants: (s: AdadeltaScalars) => AdadeltaConstants<number>,
): F {
  const make = new Function(
    'r',
    'constants',
    `'use strict';
    return function ${name}(${params.join(', ')}, s) {
      const { rho, oneMinusRho: omr, rhoMinusOne: rm1, epsilon: eps, lr } = constants(s);
      ${body}
    };`,
  ) as (r: (x: number) => number, constants: (s: AdadeltaScalars) => AdadeltaConstants<number>) => F;
  return make(Math.fround, constants);
}

const F32 = expressions(true);
const F64 = expressions(false);
const DENSE = ['v', 'eg', 'ed', 'g'];
const SPARSE = ['v', 'eg', 'ed', 'mark', 'values', 'rowSize'];

/** float32 dense update in place: every operation rounded to float32, in the wasm kernel's order. */
export const denseF32 = compile<DenseLoop<Float32Array>>('denseF32', DENSE, denseSource(F32), float32Constants);
/** float64 dense update in place (lr is the float32 value). */
export const denseF64 = compile<DenseLoop<Float64Array>>('denseF64', DENSE, denseSource(F64), float64Constants);
/** float32 sparse update in place, one pass over all rows. */
export const sparseF32 = compile<SparseLoop<Float32Array>>('sparseF32', SPARSE, sparseSource(F32), float32Constants);
/** float64 sparse update in place. */
export const sparseF64 = compile<SparseLoop<Float64Array>>('sparseF64', SPARSE, sparseSource(F64), float64Constants);
