/**
 * MaxPoolGrad when the windows tile the input exactly (stride = pool, no padding, sizes divisible: the
 * usual 2×2 pool), fully unrolled for one pool size and row width: every window offset is a constant
 * in the load/store instructions, so the loop is loads, compares and selects only. Same rule as the
 * generic loop: first maximum in row-major order by strict '>' from −∞; dx = 0 + dy there, +0 elsewhere.
 */
import { Asm, Core, I32, V128, Vec, type FuncDef, type ValType } from './simd';

const P = { x: 0, dx: 1, dy: 2, rows: 3, ow: 4 } as const;
const L = { row: 5, ow: 6, cg: 7, pix: 8, best: 9, w: 10, m: 11, v: 12, d: 13 } as const;
const LOCALS: ValType[] = [I32, I32, I32, I32, V128, V128, V128, V128, V128];

/** Largest pool unrolled (positions per window). */
export const MAX_TILE = 16;

/**
 * pool_tile(x, dx, dy, rows, OW): `rows` rows of OW windows (n·OH rows for a whole batch), with x, dx
 * and dy at the first window; rowBytes is one input row (W·C·4), pixBytes one pixel (C·4).
 */
export function maxPoolTileModule(fh: number, fw: number, rowBytes: number, pixBytes: number): FuncDef[] {
  const b = new Asm();
  const offsets: number[] = [];
  for (let r = 0; r < fh; r++) for (let c = 0; c < fw; c++) offsets.push(r * rowBytes + c * pixBytes);
  const bump = (ptr: number, by: number) => b.get(ptr).i32(by).op(Core.i32Add).set(ptr);
  b.i32(pixBytes).set(L.pix).i32(0).set(L.row);
  b.forLoop(L.row, P.rows, 1, () => {
    b.i32(0).set(L.ow);
    b.forLoop(L.ow, P.ow, 1, () => {
      b.i32(0).set(L.cg);
      b.forLoop(L.cg, L.pix, 16, () => {
        b.f32x4(-Infinity).set(L.best).i32(-1).v(Vec.i32x4Splat).set(L.w);
        offsets.forEach((off, k) => {
          b.add(P.x, L.cg).vload(off).set(L.v);
          b.get(L.v).get(L.best).v(Vec.f32x4Gt).set(L.m);
          b.get(L.v).get(L.best).get(L.m).v(Vec.bitselect).set(L.best);
          b.i32(k).v(Vec.i32x4Splat).get(L.w).get(L.m).v(Vec.bitselect).set(L.w);
        });
        b.add(P.dy, L.cg).vload().set(L.d);
        offsets.forEach((off, k) => {
          b.add(P.dx, L.cg).f32x4(0).get(L.d).get(L.w).i32(k).v(Vec.i32x4Splat).v(Vec.i32x4Eq).v(Vec.and).v(Vec.f32x4Add).vstore(off);
        });
      });
      bump(P.x, fw * pixBytes);
      bump(P.dx, fw * pixBytes);
      bump(P.dy, pixBytes);
    });
    // The window row's other input rows were covered by the offsets.
    bump(P.x, (fh - 1) * rowBytes);
    bump(P.dx, (fh - 1) * rowBytes);
  });
  return [{ name: 'pool_tile', params: [I32, I32, I32, I32, I32], results: [], locals: LOCALS, body: b }];
}
