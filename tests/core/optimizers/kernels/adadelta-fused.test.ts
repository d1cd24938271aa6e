// The fused kernels: WASM SIMD vs JS bit-identity, an independent float64
// reference, the sparse one-pass update, argument checks and no per-call allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FusedAdadelta } from '../../../../src/core/optimizers/kernels/adadelta-fused';
import { plainHostBuffer } from '../../../../src/core/wasm/heap';
import { context, freeState, heap as testHeap, kernels, makeState, type State } from './helpers';

/** Deterministic PRNG (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'mixed' | 'zeros' | 'tiny' | 'huge';
function sample(rand: () => number, kind: Kind, positive = false): number {
  const sign = positive || rand() < 0.5 ? 1 : -1;
  switch (kind) {
    case 'zeros':
      return rand() < 0.7 ? 0 : sign * rand();
    case 'tiny':
      return sign * 10 ** (-45 + 10 * rand()); // includes float32 subnormals
    case 'huge':
      return sign * 10 ** (15 + 23 * rand()); // g*g overflows to Infinity
    default:
      return sign * 10 ** (-6 + 8 * rand());
  }
}

function fill(a: Float32Array | Float64Array, rand: () => number, kind: Kind, positive = false): void {
  for (let i = 0; i < a.length; i++) a[i] = sample(rand, kind, positive);
}

/** Bit patterns equal, treating every NaN as the same value. */
function assertSameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    if (ua[i] !== ub[i]) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

function copyState(from: State, to: State): void {
  to.v.array().set(from.v.array());
  to.eg.array().set(from.eg.array());
  to.ed.array().set(from.ed.array());
}

function assertSameState(a: State, b: State, what: string): void {
  for (const k of ['v', 'eg', 'ed'] as const) {
    assertSameBits(a[k].array() as Float32Array, b[k].array() as Float32Array, `${what} ${k}`);
  }
}

const HYPER = [
  { lr: 1e-3, rho: 0.95, epsilon: 1e-7 },
  { lr: 1, rho: 0.9, epsilon: 1e-6 },
  { lr: 0.37, rho: 0.999, epsilon: 1e-3 },
  { lr: 2.5, rho: 0.5, epsilon: 0 },
];
const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 63, 1000, 4097];
const KINDS: Kind[] = ['mixed', 'zeros', 'tiny', 'huge'];

test('WASM SIMD and JS fround paths are bit-identical on random data', () => {
  const rand = rng(1);
  let cases = 0;
  for (const n of LENGTHS) {
    for (const kind of KINDS) {
      const heap = makeState('heap', new Float32Array(n));
      const plain = makeState('plain', new Float32Array(n));
      fill(heap.v.array(), rand, 'mixed');
      fill(heap.eg.array(), rand, kind, true);
      fill(heap.ed.array(), rand, kind, true);
      copyState(heap, plain);
      const gHeap = testHeap.allocHost('float32', n);
      HYPER.forEach((hp, step) => {
        const g = new Float32Array(n);
        fill(g, rand, kind);
        gHeap.array().set(g);
        // Alternate a heap-resident gradient with a plain one (copied into the scratch).
        kernels.dense(heap.v, heap.eg, heap.ed, step % 2 === 0 ? gHeap : g, hp);
        kernels.dense(plain.v, plain.eg, plain.ed, g, hp);
        assertSameState(heap, plain, `n=${n} ${kind} step ${step}`);
        cases++;
      });
      gHeap.free();
      freeState(heap);
      freeState(plain);
    }
  }
  assert.equal(cases, LENGTHS.length * KINDS.length * HYPER.length);
});

test('a float64 gradient for float32 state is cast the same way on both paths', () => {
  const rand = rng(2);
  const n = 23;
  const heap = makeState('heap', new Float32Array(n).fill(1));
  const plain = makeState('plain', new Float32Array(n).fill(1));
  for (let step = 0; step < 3; step++) {
    const g = new Float64Array(n);
    fill(g, rand, 'mixed');
    kernels.dense(heap.v, heap.eg, heap.ed, g, HYPER[0]);
    kernels.dense(plain.v, plain.eg, plain.ed, plain64(g), HYPER[0]);
  }
  assertSameState(heap, plain, 'f64 grad');
});

/** Rounds a float64 gradient to float32 explicitly (the cast Keras would do). */
function plain64(g: Float64Array): Float32Array {
  return Float32Array.from(g);
}

test('wasm calls split into chunks give the same result', () => {
  const rand = rng(3);
  const n = 1001;
  const whole = makeState('heap', new Float32Array(n));
  const split = makeState('heap', new Float32Array(n));
  fill(whole.v.array(), rand, 'mixed');
  copyState(whole, split);
  const g = new Float32Array(n);
  fill(g, rand, 'mixed');
  kernels.dense(whole.v, whole.eg, whole.ed, g, HYPER[0]);
  const chunked = new FusedAdadelta(context.copies, { wasmCallElements: 7 }); // odd size: every chunk has a scalar tail
  chunked.dense(split.v, split.eg, split.ed, g, HYPER[0]);
  assertSameState(whole, split, 'chunked');
});

test('a growing gradient scratch (heap growth mid-run) keeps results identical', () => {
  const rand = rng(4);
  for (const n of [10, 5000, 300000]) {
    const heap = makeState('heap', new Float32Array(n).fill(0.5));
    const plain = makeState('plain', new Float32Array(n).fill(0.5));
    const g = new Float32Array(n);
    fill(g, rand, 'mixed');
    kernels.dense(heap.v, heap.eg, heap.ed, g, HYPER[1]);
    kernels.dense(plain.v, plain.eg, plain.ed, g, HYPER[1]);
    assertSameState(heap, plain, `n=${n}`);
    freeState(heap);
    freeState(plain);
  }
  kernels.releaseScratch();
  const s = makeState('heap', [1, 2, 3]);
  kernels.dense(s.v, s.eg, s.ed, new Float32Array([1, 1, 1]), HYPER[0]); // scratch re-created
  assert.ok(s.v.array().every((x, i) => x < i + 1));
});

test('options.simd = false runs the JS loop on heap state, with the same bits', () => {
  const rand = rng(7);
  const n = 103;
  const a = makeState('heap', new Float32Array(n).fill(1));
  const b = makeState('heap', new Float32Array(n).fill(1));
  for (let step = 0; step < 4; step++) {
    const g = new Float32Array(n);
    fill(g, rand, 'mixed');
    kernels.dense(a.v, a.eg, a.ed, g, HYPER[step]);
    kernels.dense(b.v, b.eg, b.ed, g, HYPER[step], { simd: false });
  }
  assertSameState(a, b, 'simd off');
});

/**
 * Independent float64 reference of the dense update (docs/optimizer-contract.md, "The Adadelta update
 * step"; plain math, hyper-parameters unrounded).
 */
function referenceDense(
  v: Float64Array,
  eg: Float64Array,
  ed: Float64Array,
  g: ArrayLike<number>,
  lr: number,
  rho: number,
  eps: number,
): void {
  for (let i = 0; i < v.length; i++) {
    eg[i] = rho * eg[i] + (1 - rho) * g[i] * g[i];
    const delta = (-Math.sqrt(ed[i] + eps) / Math.sqrt(eg[i] + eps)) * g[i];
    ed[i] = rho * ed[i] + (1 - rho) * delta * delta;
    v[i] += lr * delta;
  }
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= rtol * Math.abs(expected[i]))) assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test('float32 kernel tracks an independent float64 reference over 20 random steps (1e-5 relative)', () => {
  const rand = rng(5);
  const n = 999;
  const hp = { lr: 0.5, rho: 0.9, epsilon: 1e-6 };
  // Weights of order 1: a relative check on weights that cross zero would only measure cancellation.
  const init = new Float32Array(n);
  for (let i = 0; i < n; i++) init[i] = (rand() < 0.5 ? -1 : 1) * (0.5 + rand());
  const s = makeState('heap', init);
  const ref = { v: Float64Array.from(s.v.array()), eg: new Float64Array(n), ed: new Float64Array(n) };
  for (let step = 0; step < 20; step++) {
    const g = new Float32Array(n);
    for (let i = 0; i < n; i++) g[i] = (rand() - 0.5) * 10 ** (-2 + 3 * rand());
    kernels.dense(s.v, s.eg, s.ed, g, hp);
    referenceDense(ref.v, ref.eg, ref.ed, g, hp.lr, hp.rho, hp.epsilon);
  }
  assertClose(s.v.array(), ref.v, 1e-5, 'v');
  assertClose(s.eg.array(), ref.eg, 1e-5, 'Eg');
  assertClose(s.ed.array(), ref.ed, 1e-5, 'Ed');
  freeState(s);
});

test('float64 kernel: lr is rounded to float32, everything else float64 (reference within 1e-15)', () => {
  const rand = rng(6);
  const n = 50;
  const hp = { lr: 0.001, rho: 0.95, epsilon: 1e-7 };
  const s = makeState('plain', new Float64Array(n).fill(1), 'float64');
  const ref = { v: new Float64Array(n).fill(1), eg: new Float64Array(n), ed: new Float64Array(n) };
  for (let step = 0; step < 10; step++) {
    const g = new Float64Array(n);
    fill(g, rand, 'mixed');
    kernels.dense(s.v, s.eg, s.ed, g, hp);
    referenceDense(ref.v, ref.eg, ref.ed, g, 0.0010000000474974513, hp.rho, hp.epsilon);
  }
  assertClose(s.v.array(), ref.v, 1e-15, 'v');
  assertClose(s.eg.array(), ref.eg, 1e-15, 'Eg');
  assertClose(s.ed.array(), ref.ed, 1e-15, 'Ed');
});

test('dense argument checks', () => {
  const a = testHeap.allocHost('float32', 4);
  const b = testHeap.allocHost('float32', 4);
  const c = testHeap.allocHost('float32', 5);
  const d = testHeap.allocHost('float64', 4);
  const hp = HYPER[0];
  assert.throws(() => kernels.dense(a, b, c, new Float32Array(4), hp), RangeError);
  assert.throws(() => kernels.dense(a, b, b, new Float32Array(3), hp), RangeError);
  assert.throws(() => kernels.dense(a, b, d, new Float32Array(4), hp), TypeError);
  b.free();
  assert.throws(() => kernels.dense(a, b, a, new Float32Array(4), hp), /after free/);
  const p = plainHostBuffer(new Float32Array(4));
  p.free();
  assert.throws(() => kernels.dense(p, a, a, new Float32Array(4), hp), /after free/);
});

test('no per-call allocation: repeated calls add no wasm-heap bytes and never grow the gradient scratch', () => {
  // The invariant, not a heap measurement (V8's heap size moves with GC timing): after the first call
  // has sized the scratch, the wasm heap's committed memory, used bytes and free list stay exactly put.
  const n = 37;
  const heap = makeState('heap', new Float32Array(n).fill(1));
  const plain = makeState('plain', new Float32Array(n).fill(1));
  const f64 = makeState('plain', new Float64Array(n).fill(1), 'float64');
  const gHeap = testHeap.allocHost('float32', n);
  const g = new Float32Array(n).fill(0.5);
  const rows = new Int32Array([1, 5, 3]);
  const vals = new Float32Array(3).fill(0.25);
  const hp = HYPER[0];
  const cases: [string, () => void][] = [
    ['wasm', () => kernels.dense(heap.v, heap.eg, heap.ed, gHeap, hp)],
    ['wasm+scratch', () => kernels.dense(heap.v, heap.eg, heap.ed, g, hp)],
    ['js', () => kernels.dense(plain.v, plain.eg, plain.ed, g, hp)],
    ['float64', () => kernels.dense(f64.v, f64.eg, f64.ed, g, hp)],
    ['sparse', () => kernels.sparse(heap.v, heap.eg, heap.ed, rows, vals, 1, hp)],
  ];
  for (const [name, fn] of cases) {
    fn();
    const before = testHeap.stats();
    const memory = testHeap.memory?.buffer;
    for (let i = 0; i < 1000; i++) fn();
    assert.deepEqual(testHeap.stats(), before, `${name}: the wasm heap changed`);
    assert.equal(testHeap.memory?.buffer, memory, `${name}: the wasm memory grew`);
  }
  // Control: a larger gradient does grow the scratch, and the stats see it.
  const before = testHeap.stats()!;
  const big = makeState('heap', new Float32Array(4 * n).fill(1));
  kernels.dense(big.v, big.eg, big.ed, new Float32Array(4 * n).fill(0.5), hp);
  assert.ok(testHeap.stats()!.usedBytes > before.usedBytes, 'a bigger state and scratch show up in the stats');
});
