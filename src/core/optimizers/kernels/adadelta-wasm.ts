// The fused float32 Adadelta kernel as a WASM SIMD (f32x4) function, assembled
// here from TypeScript. One loop of 4 lanes, then a scalar loop for the tail.
// Both are derived from the element rule (adadelta-rule.ts): the rule's formulas run
// over an arithmetic whose values are code that pushes a value on the wasm stack,
// so the kernel evaluates exactly the f32 operation sequence the JS fround loop does.
// Two functions: the dense update, and the sparse one over a gradient scattered into a
// dense zeroed buffer (E[g²] decays as E + (ρ−1)·E, then gains (1−ρ)·(g·g); on a row
// without a gradient g = 0 adds +0 and gives Δx = −0, the sparse JS loop's own bits).
import { Body, F32, I32, Op, Simd, V128, encodeModule, type ValType } from '../../wasm/encoder';
import type { HostHeap } from '../../wasm/heap';
import {
  accumulatedDelta,
  accumulatedGrad,
  decayedAccumulatedGrad,
  delta,
  squaredGradShare,
  updatedValue,
  withGradShare,
  type Arithmetic,
} from '../adadelta-rule';

// Parameters: byte offsets of v, Eg, Ed, g; element count n; then f32 rho, 1-rho, eps, lr, rho-1.
const P = { v: 0, eg: 1, ed: 2, g: 3, n: 4, rho: 5, omr: 6, eps: 7, lr: 8, rm1: 9 } as const;
// Extra locals: loop byte index, end of the SIMD part, end of all data.
const L = { i: 10, end4: 11, end: 12 } as const;

/** How E[g²] takes the gradient: Keras's dense formula, or its sparse decay-then-scatter. */
type GradForm = 'dense' | 'scattered';

/** Per-width instruction choices: the same element program for v128 and f32. */
interface Flavor {
  step: number;
  load(b: Body): Body;
  store(b: Body): Body;
  add(b: Body): Body;
  mul(b: Body): Body;
  div(b: Body): Body;
  sqrt(b: Body): Body;
  neg(b: Body): Body;
  /** Locals holding rho, 1-rho, eps, lr, rho-1 in this width. */
  c: { rho: number; omr: number; eps: number; lr: number; rm1: number };
  /** Temporaries: g, new Eg, old Ed, delta (Δx). */
  t: { g: number; eg: number; ed: number; d: number };
}

const simd: Flavor = {
  step: 16,
  load: (b) => b.simd(Simd.v128Load).op(4, 0),
  store: (b) => b.simd(Simd.v128Store).op(4, 0),
  add: (b) => b.simd(Simd.f32x4Add),
  mul: (b) => b.simd(Simd.f32x4Mul),
  div: (b) => b.simd(Simd.f32x4Div),
  sqrt: (b) => b.simd(Simd.f32x4Sqrt),
  neg: (b) => b.simd(Simd.f32x4Neg),
  c: { rho: 13, omr: 14, eps: 15, lr: 16, rm1: 17 },
  t: { g: 18, eg: 19, ed: 20, d: 21 },
};

const scalar: Flavor = {
  step: 4,
  load: (b) => b.op(Op.f32Load, 2, 0),
  store: (b) => b.op(Op.f32Store, 2, 0),
  add: (b) => b.op(Op.f32Add),
  mul: (b) => b.op(Op.f32Mul),
  div: (b) => b.op(Op.f32Div),
  sqrt: (b) => b.op(Op.f32Sqrt),
  neg: (b) => b.op(Op.f32Neg),
  c: { rho: P.rho, omr: P.omr, eps: P.eps, lr: P.lr, rm1: P.rm1 },
  t: { g: 22, eg: 23, ed: 24, d: 25 },
};

const LOCALS: ValType[] = [I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128, V128, F32, F32, F32, F32];

/** Code that pushes one value (of the flavor's width) on the wasm stack. */
type Emit = (b: Body) => void;

/** The rule's arithmetic in this flavor: an operation's code is its operands' code, then its instruction. */
function arithmetic(f: Flavor): Arithmetic<Emit> {
  const binary = (op: (b: Body) => Body) => (x: Emit, y: Emit) => (b: Body) => (x(b), y(b), op(b));
  const unary = (op: (b: Body) => Body) => (x: Emit) => (b: Body) => (x(b), op(b));
  return { add: binary(f.add), mul: binary(f.mul), div: binary(f.div), sqrt: unary(f.sqrt), neg: unary(f.neg) };
}

/** Pushes base + i (the address of the current element of one array). */
function addr(b: Body, base: number): Body {
  return b.get(base).get(L.i).op(Op.i32Add);
}

/** Code that pushes local `i`. */
function local(i: number): Emit {
  return (b) => void b.get(i);
}

/** Code that pushes the current element of the array at parameter `base`. */
function element(f: Flavor, base: number): Emit {
  return (b) => void f.load(addr(b, base));
}

/** One step of the update for `f.step / 4` elements at byte index i: the element rule, as code. */
function update(b: Body, f: Flavor, form: GradForm): void {
  const A = arithmetic(f);
  const store = (base: number, value: Emit, tee?: number) => {
    value(addr(b, base));
    if (tee !== undefined) b.tee(tee);
    f.store(b);
  };
  const { c, t } = f;
  const k = {
    rho: local(c.rho),
    oneMinusRho: local(c.omr),
    epsilon: local(c.eps),
    lr: local(c.lr),
    rhoMinusOne: local(c.rm1),
  };
  const [g, eg, ed, d] = [local(t.g), local(t.eg), local(t.ed), local(t.d)];
  element(f, P.g)(b);
  b.set(t.g);
  const eg0 = element(f, P.eg);
  const newEg =
    form === 'dense'
      ? accumulatedGrad(A, k, eg0, g)
      : withGradShare(A, decayedAccumulatedGrad(A, k, eg0), squaredGradShare(A, k, g));
  store(P.eg, newEg, t.eg); // E[g²]
  element(f, P.ed)(b);
  b.set(t.ed);
  delta(A, k, ed, eg, g)(b); // Δx, from the new E[g²] and the old E[Δx²]
  b.set(t.d);
  store(P.ed, accumulatedDelta(A, k, ed, d)); // E[Δx²]
  store(P.v, updatedValue(A, k, element(f, P.v), d));
}

/** while (i < end) { update; i += step } */
function loop(b: Body, f: Flavor, end: number, form: GradForm): void {
  b.op(Op.block, 0x40);
  b.get(L.i).get(end).op(Op.i32GeU, Op.brIf, 0);
  b.op(Op.loop, 0x40);
  update(b, f, form);
  b.get(L.i).i32(f.step).op(Op.i32Add).tee(L.i);
  b.get(end).op(Op.i32LtU, Op.brIf, 0);
  b.op(Op.end, Op.end);
}

function kernelBody(form: GradForm): Body {
  const b = new Body();
  // end = n*4 bytes; end4 = end rounded down to whole v128s
  b.get(P.n).i32(2).op(Op.i32Shl).tee(L.end);
  b.i32(-16).op(Op.i32And).set(L.end4);
  for (const k of ['rho', 'omr', 'eps', 'lr', 'rm1'] as const) b.get(P[k]).simd(Simd.f32x4Splat).set(simd.c[k]);
  loop(b, simd, L.end4, form);
  loop(b, scalar, L.end, form);
  return b;
}

/**
 * Module bytes exporting `adadelta_f32` and `adadelta_scattered_f32`, both
 * `(v, eg, ed, g, n, rho, omr, eps, lr, rm1)` (the dense one ignores rm1); imports env.memory.
 */
export function adadeltaModuleBytes(): Uint8Array<ArrayBuffer> {
  const params: ValType[] = [I32, I32, I32, I32, I32, F32, F32, F32, F32, F32];
  const fn = (name: string, form: GradForm) => ({ name, params, results: [], locals: LOCALS, body: kernelBody(form) });
  return encodeModule([fn('adadelta_f32', 'dense'), fn('adadelta_scattered_f32', 'scattered')], true);
}

export type AdadeltaF32 = (
  v: number,
  eg: number,
  ed: number,
  g: number,
  n: number,
  rho: number,
  omr: number,
  eps: number,
  lr: number,
  rm1: number,
) => void;

/**
 * The kernel bound to `heap`'s memory (compiled once per heap); call only once the heap holds the
 * state. `scattered`: the sparse update over a gradient scattered into a dense zeroed buffer.
 */
export function adadeltaKernel(heap: HostHeap, form: GradForm = 'dense'): AdadeltaF32 {
  const exports = heap.instance('adadelta', adadeltaModuleBytes);
  if (exports === null) throw new Error('internal: the adadelta kernel needs state in the heap');
  return (form === 'dense' ? exports.adadelta_f32 : exports.adadelta_scattered_f32) as AdadeltaF32;
}
