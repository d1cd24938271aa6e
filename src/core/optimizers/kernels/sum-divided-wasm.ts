// The sparse rows' mean and de-duplication in one pass, f32x4 lanes over each row:
// out[slots[i]] += values[i] / d, rows in order (the order unsorted_segment_sum sums them). Same
// bits as the JS loop (indexed-slices.ts): f32.div of float32 operands equals the float64 quotient
// rounded to float32 when d is exactly a float32 (divide-wasm.ts says why), and f32.add of two
// float32 values equals their float64 sum rounded to float32.
import { Body, F32, I32, Op, Simd, V128, encodeModule, type ValType } from '../../wasm/encoder';
import { wasmSimdSupported, type HostHeap } from '../../wasm/heap';

// Parameters: byte offsets of values, out, slots (i32); row count; row size; divisor.
const P = { values: 0, out: 1, slots: 2, rows: 3, rowSize: 4, d: 5 } as const;
// Locals: row index, source row, destination row, byte index in the row, row bytes, SIMD end, splat divisor.
const L = { i: 6, src: 7, dst: 8, j: 9, rowBytes: 10, end4: 11, dv: 12 } as const;

/** while (counter < end) { body; counter += step } */
function loop(b: Body, counter: number, end: number, step: number, body: (b: Body) => void): void {
  b.op(Op.block, 0x40);
  b.get(counter).get(end).op(Op.i32GeU, Op.brIf, 0);
  b.op(Op.loop, 0x40);
  body(b);
  b.get(counter).i32(step).op(Op.i32Add).tee(counter);
  b.get(end).op(Op.i32LtU, Op.brIf, 0);
  b.op(Op.end, Op.end);
}

const at = (b: Body, base: number) => b.get(base).get(L.j).op(Op.i32Add);

function body(): Body {
  const b = new Body();
  b.get(P.rowSize).i32(2).op(Op.i32Shl).tee(L.rowBytes);
  b.i32(-16).op(Op.i32And).set(L.end4);
  b.get(P.d).simd(Simd.f32x4Splat).set(L.dv);
  loop(b, L.i, P.rows, 1, (r) => {
    // src = values + i * rowBytes; dst = out + slots[i] * rowBytes; j = 0
    r.get(P.values).get(L.i).get(L.rowBytes).op(Op.i32Mul, Op.i32Add).set(L.src);
    r.get(P.out).get(P.slots).get(L.i).i32(2).op(Op.i32Shl, Op.i32Add).op(Op.i32Load, 2, 0);
    r.get(L.rowBytes).op(Op.i32Mul, Op.i32Add).set(L.dst);
    r.i32(0).set(L.j);
    loop(r, L.j, L.end4, 16, (e) => {
      at(e, L.dst);
      at(e, L.dst).simd(Simd.v128Load).op(4, 0);
      at(e, L.src).simd(Simd.v128Load).op(4, 0);
      e.get(L.dv).simd(Simd.f32x4Div).simd(Simd.f32x4Add).simd(Simd.v128Store).op(4, 0);
    });
    loop(r, L.j, L.rowBytes, 4, (e) => {
      at(e, L.dst);
      at(e, L.dst).op(Op.f32Load, 2, 0);
      at(e, L.src).op(Op.f32Load, 2, 0);
      e.get(P.d).op(Op.f32Div, Op.f32Add, Op.f32Store, 2, 0);
    });
  });
  return b;
}

type SumDividedF32 = (values: number, out: number, slots: number, rows: number, rowSize: number, d: number) => void;

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const params: ValType[] = [I32, I32, I32, I32, I32, F32];
  const locals: ValType[] = [I32, I32, I32, I32, I32, I32, V128];
  return encodeModule([{ name: 'sum_divided_f32', params, results: [], locals, body: body() }], true);
}

/**
 * out[slots[i]] += values[i] / d for each row i in order, `out` zeros on entry, through `heap` (the
 * rows and slots copied in, the sums copied out into `out`); false (nothing done) when d is not
 * exactly a float32 or there is no wasm SIMD, for the caller's JS loop.
 */
export function sumDividedInHeap(
  heap: HostHeap,
  values: Float32Array,
  out: Float32Array,
  slots: Int32Array,
  rowSize: number,
  d: number,
): boolean {
  if (Math.fround(d) !== d || !wasmSimdSupported()) return false;
  const [v, o, s] = [heap.allocHeap(values.length), heap.allocHeap(out.length), heap.allocHeap(slots.length)];
  try {
    const fn = heap.instance('sum-divided', moduleBytes)!.sum_divided_f32 as SumDividedF32;
    v.array().set(values);
    o.array().fill(0);
    new Int32Array(s.array().buffer, s.byteOffset, slots.length).set(slots);
    fn(v.byteOffset, o.byteOffset, s.byteOffset, slots.length, rowSize, d);
    out.set(o.array());
  } finally {
    s.free();
    o.free();
    v.free();
  }
  return true;
}
