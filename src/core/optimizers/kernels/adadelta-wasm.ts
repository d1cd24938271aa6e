// The fused float32 Adadelta kernel as a WASM SIMD (f32x4) function, assembled
// here from TypeScript. One loop of 4 lanes, then a scalar loop for the tail;
// both evaluate exactly the same f32 operation sequence as the JS fround path.
import { Body, F32, I32, Op, Simd, V128, encodeModule, type ValType } from '../../wasm/encoder';

// Parameters: byte offsets of v, Eg, Ed, g; element count n; then f32 rho, 1-rho, eps, lr.
const P = { v: 0, eg: 1, ed: 2, g: 3, n: 4, rho: 5, omr: 6, eps: 7, lr: 8 } as const;
// Extra locals: loop byte index, end of the SIMD part, end of all data.
const L = { i: 9, end4: 10, end: 11 } as const;

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
  /** Locals holding rho, 1-rho, eps, lr in this width. */
  c: { rho: number; omr: number; eps: number; lr: number };
  /** Temporaries: g, new Eg, old Ed, delta. */
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
  c: { rho: 12, omr: 13, eps: 14, lr: 15 },
  t: { g: 16, eg: 17, ed: 18, d: 19 },
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
  c: { rho: P.rho, omr: P.omr, eps: P.eps, lr: P.lr },
  t: { g: 20, eg: 21, ed: 22, d: 23 },
};

const LOCALS: ValType[] = [I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128, F32, F32, F32, F32];

/** Pushes base + i (the address of the current element of one array). */
function addr(b: Body, base: number): Body {
  return b.get(base).get(L.i).op(Op.i32Add);
}

/** One step of the update for `f.step / 4` elements at byte index i. */
function element(b: Body, f: Flavor): void {
  const { c, t } = f;
  // Eg = rho*Eg + ((1-rho)*g)*g
  addr(b, P.eg);
  f.load(addr(b.get(c.rho), P.eg));
  f.mul(b);
  f.load(addr(b.get(c.omr), P.g)).tee(t.g);
  f.mul(b);
  f.mul(b.get(t.g));
  f.add(b);
  f.store(b.tee(t.eg));
  // d = ((-sqrt(Ed + eps)) * g) / sqrt(Eg_new + eps)
  f.load(addr(b, P.ed)).tee(t.ed);
  f.neg(f.sqrt(f.add(b.get(c.eps))));
  f.mul(b.get(t.g));
  f.sqrt(f.add(b.get(t.eg).get(c.eps)));
  f.div(b).set(t.d);
  // Ed = rho*Ed + ((1-rho)*d)*d
  addr(b, P.ed);
  f.mul(b.get(c.rho).get(t.ed));
  f.mul(f.mul(b.get(c.omr).get(t.d)).get(t.d));
  f.store(f.add(b));
  // v = v + lr*d
  addr(b, P.v);
  f.load(addr(b, P.v));
  f.mul(b.get(c.lr).get(t.d));
  f.store(f.add(b));
}

/** while (i < end) { element; i += step } */
function loop(b: Body, f: Flavor, end: number): void {
  b.op(Op.block, 0x40);
  b.get(L.i).get(end).op(Op.i32GeU, Op.brIf, 0);
  b.op(Op.loop, 0x40);
  element(b, f);
  b.get(L.i).i32(f.step).op(Op.i32Add).tee(L.i);
  b.get(end).op(Op.i32LtU, Op.brIf, 0);
  b.op(Op.end, Op.end);
}

function kernelBody(): Body {
  const b = new Body();
  // end = n*4 bytes; end4 = end rounded down to whole v128s
  b.get(P.n).i32(2).op(Op.i32Shl).tee(L.end);
  b.i32(-16).op(Op.i32And).set(L.end4);
  for (const k of ['rho', 'omr', 'eps', 'lr'] as const) b.get(P[k]).simd(Simd.f32x4Splat).set(simd.c[k]);
  loop(b, simd, L.end4);
  loop(b, scalar, L.end);
  return b;
}

/** Module bytes exporting `adadelta_f32(v, eg, ed, g, n, rho, omr, eps, lr)`; imports env.memory. */
export function adadeltaModuleBytes(): Uint8Array<ArrayBuffer> {
  const params: ValType[] = [I32, I32, I32, I32, I32, F32, F32, F32, F32];
  return encodeModule([{ name: 'adadelta_f32', params, results: [], locals: LOCALS, body: kernelBody() }], true);
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
) => void;

let cached: { memory: WebAssembly.Memory; fn: AdadeltaF32 } | null = null;

/** The kernel bound to `memory` (compiled once; small enough for synchronous compile). */
export function adadeltaKernel(memory: WebAssembly.Memory): AdadeltaF32 {
  if (cached === null || cached.memory !== memory) {
    const mod = new WebAssembly.Module(adadeltaModuleBytes());
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    cached = { memory, fn: inst.exports.adadelta_f32 as AdadeltaF32 };
  }
  return cached.fn;
}
