// The one element rule every Adadelta kernel is derived from: written out symbolically it must read as
// the contract's operation order (docs/optimizer-contract.md, "The Adadelta update step", which is what
// gives Keras's bits), and each derived kernel (generated JS loops, WASM SIMD) must equal the rule
// evaluated directly, bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
} from '../../../src/core/optimizers/adadelta-rule';
import { denseF32, denseF64, sparseF32, sparseF64 } from '../../../src/core/optimizers/kernels/adadelta-loops';
import { FusedAdadelta } from '../../../src/core/optimizers/kernels/adadelta-fused';
import { ComputeContext } from '../../../src/core/context';
import { seededRandom, testSeed } from '../../helpers/seed';

/** Infix text with every operation parenthesised, in the spec's notation. */
const symbols: Arithmetic<string> = {
  add: (a, b) => `(${a} + ${b})`,
  mul: (a, b) => `(${a}·${b})`,
  div: (a, b) => `(${a} / ${b})`,
  sqrt: (a) => `√${a}`,
  neg: (a) => `(−${a})`,
};
const names: AdadeltaConstants<string> = { rho: 'rho', oneMinusRho: '(1−rho)', rhoMinusOne: '(rho−1)', epsilon: 'eps', lr: 'lr' };

test('the rule reads as the spec: Keras operation order, dense and sparse', () => {
  // contract, dense: Eg ← (rho·Eg) + (((1−rho)·g)·g)
  assert.equal(accumulatedGrad(symbols, names, 'Eg', 'g'), '((rho·Eg) + (((1−rho)·g)·g))');
  // Δ ← ((−rms(Ed))·g) / rms(Eg), rms(x) = sqrt(x + eps), NEW Eg, OLD Ed
  assert.equal(delta(symbols, names, 'Ed', 'Eg', 'g'), '(((−√(Ed + eps))·g) / √(Eg + eps))');
  // Ed ← (rho·Ed) + (((1−rho)·Δ)·Δ)
  assert.equal(accumulatedDelta(symbols, names, 'Ed', 'Δ'), '((rho·Ed) + (((1−rho)·Δ)·Δ))');
  // v ← v + lr·Δ
  assert.equal(updatedValue(symbols, names, 'v', 'Δ'), '(v + (lr·Δ))');
  // sparse: Eg ← Eg + (rho−1)·Eg on every row, then Eg[idx] += (1−rho)·(values·values)
  assert.equal(decayedAccumulatedGrad(symbols, names, 'Eg'), '(Eg + ((rho−1)·Eg))');
  assert.equal(withGradShare(symbols, 'Eg', squaredGradShare(symbols, names, 'g')), '(Eg + ((1−rho)·(g·g)))');
});

test('the constants: 1−rho and rho−1 in float64 before the cast; lr always the float32 value', () => {
  const s = { lr: 0.001, rho: 0.95, epsilon: 1e-7 };
  const f32 = float32Constants(s);
  assert.equal(f32.oneMinusRho, Math.fround(0.050000000000000044)); // contract: float32 0.05, not 0.0500000119
  assert.equal(f32.rhoMinusOne, Math.fround(-0.050000000000000044));
  assert.equal(f32.epsilon, 1.0000000116860974e-7);
  const f64 = float64Constants(s);
  assert.equal(f64.oneMinusRho, 0.050000000000000044);
  assert.equal(f64.lr, 0.0010000000474974513); // the contract's example
});

/** The rule's arithmetic on numbers, written here: float32 rounds every result. */
function numbers(float32: boolean): Arithmetic<number> {
  const r = float32 ? Math.fround : (x: number) => x;
  return {
    add: (a, b) => r(a + b),
    mul: (a, b) => r(a * b),
    div: (a, b) => r(a / b),
    sqrt: (a) => r(Math.sqrt(a)),
    neg: (a) => -a,
  };
}

interface Arrays {
  v: Float64Array;
  eg: Float64Array;
  ed: Float64Array;
}

/** Element by element through the rule itself: `g[i]` null means the row has no gradient (sparse). */
function byRule(state: Arrays, g: (i: number) => number | null, s: AdadeltaScalars, float32: boolean, sparse: boolean): void {
  const A = numbers(float32);
  const c = float32 ? float32Constants(s) : float64Constants(s);
  for (let i = 0; i < state.v.length; i++) {
    const gi = g(i);
    let e: number;
    if (!sparse) e = accumulatedGrad(A, c, state.eg[i]!, gi!);
    else {
      e = decayedAccumulatedGrad(A, c, state.eg[i]!);
      if (gi !== null) e = withGradShare(A, e, squaredGradShare(A, c, gi));
    }
    const d = delta(A, c, state.ed[i]!, e, gi ?? 0);
    state.ed[i] = accumulatedDelta(A, c, state.ed[i]!, d);
    state.eg[i] = e;
    state.v[i] = updatedValue(A, c, state.v[i]!, d);
  }
}

function assertSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(actual[i]) && Number.isNaN(expected[i])) continue;
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}[${i}]: ${actual[i]} vs the rule's ${expected[i]}`);
  }
}

const HYPER: AdadeltaScalars[] = [
  { lr: 1e-3, rho: 0.95, epsilon: 1e-7 },
  { lr: 2.5, rho: 0.5, epsilon: 0 },
  { lr: 0.37, rho: 0.999, epsilon: 1e-3 },
];

test('the generated JS loops and the WASM SIMD kernel equal the rule evaluated directly, bit for bit', () => {
  const context = new ComputeContext();
  const kernels = new FusedAdadelta(context.copies);
  const rand = seededRandom(testSeed('adadelta-rule kernels'));
  const value = () => (rand() < 0.1 ? 0 : (rand() < 0.5 ? -1 : 1) * 10 ** (-8 + 12 * rand()));
  const n = 203; // 50 SIMD steps and a scalar tail of 3
  const rowSize = 7;
  for (const float32 of [true, false]) {
    const T = float32 ? Float32Array : Float64Array;
    const array = (length: number, f: () => number) => T.from(Array.from({ length }, f));
    for (const [step, s] of HYPER.entries()) {
      const init = () => array(n, () => Math.abs(value()));
      const [v0, eg0, ed0] = [init(), init(), init()];
      const g = array(n, value);
      // Dense: the JS loop, and for float32 the wasm kernel on heap buffers.
      const expected = { v: Float64Array.from(v0), eg: Float64Array.from(eg0), ed: Float64Array.from(ed0) };
      byRule(expected, (i) => g[i]!, s, float32, false);
      const js = { v: T.from(v0), eg: T.from(eg0), ed: T.from(ed0) };
      if (float32) denseF32(js.v as Float32Array, js.eg as Float32Array, js.ed as Float32Array, g, s);
      else denseF64(js.v as Float64Array, js.eg as Float64Array, js.ed as Float64Array, g, s);
      for (const k of ['v', 'eg', 'ed'] as const) assertSameBits(js[k], expected[k], `dense JS ${T.name} hyper ${step} ${k}`);
      if (float32) {
        const heap = [v0, eg0, ed0, g].map((a) => {
          const b = context.heap.allocHost('float32', n);
          b.array().set(a);
          return b;
        });
        kernels.dense(heap[0]!, heap[1]!, heap[2]!, heap[3]!, s);
        ['v', 'eg', 'ed'].forEach((k, i) =>
          assertSameBits(heap[i]!.array(), expected[k as keyof Arrays], `wasm hyper ${step} ${k}`),
        );
        heap.forEach((b) => b.free());
      }
      // Sparse: rows 0, 3, 4, … with a gradient (values in row order), the rest only decayed.
      const rows = Int32Array.from({ length: n / rowSize }, (_, r) => r).filter((r) => r % 3 !== 1);
      const mark = new Int32Array(n / rowSize);
      rows.forEach((r, k) => (mark[r] = k + 1));
      const values = array(rows.length * rowSize, value);
      const sparseExpected = { v: Float64Array.from(v0), eg: Float64Array.from(eg0), ed: Float64Array.from(ed0) };
      const gradOf = (i: number) => {
        const k = mark[Math.floor(i / rowSize)]! - 1;
        return k < 0 ? null : values[k * rowSize + (i % rowSize)]!;
      };
      byRule(sparseExpected, gradOf, s, float32, true);
      const sp = { v: T.from(v0), eg: T.from(eg0), ed: T.from(ed0) };
      if (float32) sparseF32(sp.v as Float32Array, sp.eg as Float32Array, sp.ed as Float32Array, mark, values, rowSize, s);
      else sparseF64(sp.v as Float64Array, sp.eg as Float64Array, sp.ed as Float64Array, mark, values, rowSize, s);
      for (const k of ['v', 'eg', 'ed'] as const)
        assertSameBits(sp[k], sparseExpected[k], `sparse JS ${T.name} hyper ${step} ${k}`);
    }
  }
});
