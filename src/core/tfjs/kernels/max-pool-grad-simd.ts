/**
 * MaxPoolGrad's SIMD loop, four channels at a time, for one row of windows (one n, one output row):
 * pass 1 finds each channel's first maximum in the window (row-major, strict '>', so ties keep the
 * first and NaN never wins), pass 2 writes dy to that position and +0 elsewhere. Two variants:
 * 'overwrite' when the windows tile the input exactly (every dx written once, no zero-fill needed),
 * 'accumulate' when some inputs are in no window (dx zero-filled first, then dx += …). Only for
 * windows that do not overlap: a dx is then 0 + one dy at most, exact in float32.
 */
import { Asm, Core, I32, V128, Vec, type FuncDef, type ValType } from './simd';

// Parameters: byte addresses of x and dx at (n, first window row, 0, 0) and of dy at (n, oh, 0, 0),
// the window's row count, OW, W, bytes per pixel (C·4), stride, filter width and left padding in columns.
const P = { x: 0, dx: 1, dy: 2, nr: 3, ow: 4, w: 5, pix: 6, sw: 7, fw: 8, left: 9 } as const;
const L = {
  ow: 10,
  c0: 11,
  c1: 12,
  cg: 13,
  r: 14,
  c: 15,
  k: 16,
  rowStride: 17,
  cs: 18,
  off: 19,
  best: 20,
  where: 21,
  d: 22,
  m: 23,
  v: 24,
} as const;
const LOCALS: ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128];

/** for r in [0, nr), c in [c0, c1): off = r·rowStride + c·pix + cg; body(); k++ */
function windowLoop(b: Asm, body: () => void): void {
  b.i32(0).set(L.k).i32(0).set(L.r);
  b.forLoop(L.r, P.nr, 1, () => {
    b.get(L.c0).set(L.c);
    b.forLoop(L.c, L.c1, 1, () => {
      b.get(L.r)
        .get(L.rowStride)
        .op(Core.i32Mul)
        .get(L.c)
        .get(P.pix)
        .op(Core.i32Mul, Core.i32Add)
        .get(L.cg)
        .op(Core.i32Add)
        .set(L.off);
      body();
      b.get(L.k).i32(1).op(Core.i32Add).set(L.k);
    });
  });
}

function rowBody(accumulate: boolean): Asm {
  const b = new Asm();
  b.get(P.w).get(P.pix).op(Core.i32Mul).set(L.rowStride);
  b.i32(0).set(L.ow);
  b.forLoop(L.ow, P.ow, 1, () => {
    // Window columns [c0, c1): the window clipped to the input (padding adds nothing).
    b.get(L.ow).get(P.sw).op(Core.i32Mul).get(P.left).op(Core.i32Sub).set(L.cs);
    b.i32(0).get(L.cs).get(L.cs).i32(0).op(Core.i32LtS, Core.select).set(L.c0);
    b.get(P.w).get(L.cs).get(P.fw).op(Core.i32Add).tee(L.c1).get(L.c1).get(P.w).op(Core.i32GtS, Core.select).set(L.c1);
    b.i32(0).set(L.cg);
    b.forLoop(L.cg, P.pix, 16, () => {
      b.f32x4(-Infinity).set(L.best).i32(-1).v(Vec.i32x4Splat).set(L.where);
      windowLoop(b, () => {
        b.add(P.x, L.off).vload().set(L.v);
        b.get(L.v).get(L.best).v(Vec.f32x4Gt).set(L.m);
        b.get(L.v).get(L.best).get(L.m).v(Vec.bitselect).set(L.best);
        b.get(L.k).v(Vec.i32x4Splat).get(L.where).get(L.m).v(Vec.bitselect).set(L.where);
      });
      b.get(L.ow).get(P.pix).op(Core.i32Mul).get(P.dy).op(Core.i32Add).get(L.cg).op(Core.i32Add).vload().set(L.d);
      windowLoop(b, () => {
        b.add(P.dx, L.off);
        if (accumulate) b.add(P.dx, L.off).vload();
        else b.f32x4(0);
        b.get(L.d).get(L.where).get(L.k).v(Vec.i32x4Splat).v(Vec.i32x4Eq).v(Vec.and).v(Vec.f32x4Add).vstore();
      });
    });
  });
  return b;
}

export function maxPoolGradModule(): FuncDef[] {
  const params: ValType[] = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  return [
    { name: 'pool_row_overwrite', params, results: [], locals: LOCALS, body: rowBody(false) },
    { name: 'pool_row_accumulate', params, results: [], locals: LOCALS, body: rowBody(true) },
  ];
}
