// In-place division of a float32 array in the wasm heap by one number, f32x4 lanes: the step's
// gradient mean (sum / global count). f32.div of float32 operands is correctly rounded, and so is
// JS's float64 division rounded to float32 (53 >= 2*24 + 2 bits: double rounding cannot change a
// quotient), so both give the same bits whenever the divisor is exactly a float32 (any count < 2^24).
// Only NaN payloads may differ; a NaN gradient ends the run anyway.
import { Body, F32, I32, Op, Simd, V128, encodeModule, type ValType } from '../../wasm/encoder';
import type { HostHeap } from '../../wasm/heap';

// Parameters: byte offset, element count, divisor. Locals: byte index, SIMD end, end, splat divisor.
const P = { at: 0, n: 1, d: 2 } as const;
const L = { i: 3, end4: 4, end: 5, dv: 6 } as const;

function loop(b: Body, end: number, step: number, element: (b: Body) => void): void {
  b.op(Op.block, 0x40);
  b.get(L.i).get(end).op(Op.i32GeU, Op.brIf, 0);
  b.op(Op.loop, 0x40);
  element(b);
  b.get(L.i).i32(step).op(Op.i32Add).tee(L.i);
  b.get(end).op(Op.i32LtU, Op.brIf, 0);
  b.op(Op.end, Op.end);
}

const addr = (b: Body) => b.get(P.at).get(L.i).op(Op.i32Add);

function body(): Body {
  const b = new Body();
  b.get(P.n).i32(2).op(Op.i32Shl).tee(L.end);
  b.i32(-16).op(Op.i32And).set(L.end4);
  b.get(P.d).simd(Simd.f32x4Splat).set(L.dv);
  loop(b, L.end4, 16, (e) => {
    addr(e);
    addr(e).simd(Simd.v128Load).op(4, 0);
    e.get(L.dv).simd(Simd.f32x4Div).simd(Simd.v128Store).op(4, 0);
  });
  loop(b, L.end, 4, (e) => {
    addr(e);
    addr(e).op(Op.f32Load, 2, 0);
    e.get(P.d).op(Op.f32Div, Op.f32Store, 2, 0);
  });
  return b;
}

type DivideF32 = (at: number, n: number, d: number) => void;

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const params: ValType[] = [I32, I32, F32];
  return encodeModule([{ name: 'divide_f32', params, results: [], locals: [I32, I32, I32, V128], body: body() }], true);
}

/**
 * a[i] = a[i] / d for a view of `heap`'s memory with a divisor exact in float32; returns false (and
 * does nothing) otherwise, for the caller's JS loop.
 */
export function divideInHeap(heap: HostHeap, a: Float32Array, d: number): boolean {
  const memory = heap.memory;
  if (memory === null || a.buffer !== memory.buffer || Math.fround(d) !== d) return false;
  const divide = heap.instance('divide', moduleBytes)!.divide_f32 as DivideF32;
  divide(a.byteOffset, a.length, d);
  return true;
}
