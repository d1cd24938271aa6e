/**
 * MaxPool and MaxPoolGrad when the windows tile the input exactly (stride = pool, no padding, sizes
 * divisible: the usual 2×2 pool), fully unrolled for one pool size and row width: every window offset
 * is a constant in the load/store instructions, so the loop is loads, compares and selects only.
 * The max is tfjs-cpu's: the first maximum in row-major order by strict '>' from −∞ (NaN never wins;
 * stock wasm's XNNPACK pool lets a NaN turn a whole window into −∞). The gradient goes to that same
 * position: dx = 0 + dy there, +0 elsewhere.
 */
import { Asm, Core, I32, V128, Vec, type FuncDef, type ValType } from './simd';

// Params: x, out (dx or y), dy (unused by the forward pass), rows, OW.
const P = { x: 0, out: 1, dy: 2, rows: 3, ow: 4 } as const;
const L = { row: 5, ow: 6, cg: 7, pix: 8, best: 9, w: 10, m: 11, v: 12, d: 13 } as const;
const LOCALS: ValType[] = [I32, I32, I32, I32, V128, V128, V128, V128, V128];

/** Largest pool unrolled (positions per window). */
export const MAX_TILE = 16;

function tileBody(grad: boolean, fh: number, fw: number, rowBytes: number, pixBytes: number): Asm {
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
          if (grad) b.i32(k).v(Vec.i32x4Splat).get(L.w).get(L.m).v(Vec.bitselect).set(L.w);
        });
        if (!grad) {
          b.add(P.out, L.cg).get(L.best).vstore();
          return;
        }
        b.add(P.dy, L.cg).vload().set(L.d);
        offsets.forEach((off, k) => {
          b.add(P.out, L.cg)
            .f32x4(0)
            .get(L.d)
            .get(L.w)
            .i32(k)
            .v(Vec.i32x4Splat)
            .v(Vec.i32x4Eq)
            .v(Vec.and)
            .v(Vec.f32x4Add)
            .vstore(off);
        });
      });
      bump(P.x, fw * pixBytes);
      bump(P.out, grad ? fw * pixBytes : pixBytes);
      if (grad) bump(P.dy, pixBytes);
    });
    // The window row's other input rows were covered by the offsets.
    bump(P.x, (fh - 1) * rowBytes);
    if (grad) bump(P.out, (fh - 1) * rowBytes);
  });
  return b;
}

/**
 * pool_tile_grad(x, dx, dy, rows, OW) and pool_tile_max(x, y, 0, rows, OW): `rows` rows of OW windows
 * (n·OH rows for a whole batch) from the first window on; rowBytes is one input row (W·C·4), pixBytes
 * one pixel (C·4).
 */
export function maxPoolTileModule(fh: number, fw: number, rowBytes: number, pixBytes: number): FuncDef[] {
  const params: ValType[] = [I32, I32, I32, I32, I32];
  return [
    { name: 'pool_tile_grad', params, results: [], locals: LOCALS, body: tileBody(true, fh, fw, rowBytes, pixBytes) },
    { name: 'pool_tile_max', params, results: [], locals: LOCALS, body: tileBody(false, fh, fw, rowBytes, pixBytes) },
  ];
}

/** True when every input position lies in exactly one window. */
export function tiles(info: {
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padInfo: { top: number; left: number };
  outHeight: number;
  outWidth: number;
  inHeight: number;
  inWidth: number;
}): boolean {
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW, padInfo } = info;
  return (
    SH === FH &&
    SW === FW &&
    padInfo.top === 0 &&
    padInfo.left === 0 &&
    info.outHeight * SH === info.inHeight &&
    info.outWidth * SW === info.inWidth
  );
}

/** The unrolled functions for this pool geometry (compiled once per shape), or null. */
export function tileFuncs(
  simd: (key: string, make: () => FuncDef[]) => Record<string, (...a: number[]) => void> | null,
  fh: number,
  fw: number,
  w: number,
  c: number,
) {
  if (fh * fw > MAX_TILE || c % 4 !== 0) return null;
  return simd(`max-pool-tile ${fh} ${fw} ${w} ${c}`, () => maxPoolTileModule(fh, fw, w * c * 4, c * 4));
}
