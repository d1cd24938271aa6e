/**
 * The step's elementwise loops over host gradients, one function per array type: V8 optimises a loop
 * well only when it always sees one array type, and the generic versions (closures over mixed
 * Float32Array/Float64Array inputs) ran several times slower over the 670k-float MLP. The results
 * are the same as the plain loops bit for bit: one float64 accumulator, same element order.
 */
import { divideInHeap } from './kernels/divide-wasm';
import type { HostHeap } from '../wasm/heap';

/** acc + Σ a[i]² in float64, in index order. */
export function addSquaresF32(acc: number, a: Float32Array): number {
  for (let i = 0, n = a.length; i < n; i++) {
    const x = a[i]!;
    acc += x * x;
  }
  return acc;
}

export function addSquaresF64(acc: number, a: Float64Array): number {
  for (let i = 0, n = a.length; i < n; i++) {
    const x = a[i]!;
    acc += x * x;
  }
  return acc;
}

export function addSquares(acc: number, a: Float32Array | Float64Array): number {
  return a instanceof Float32Array ? addSquaresF32(acc, a) : addSquaresF64(acc, a);
}

/**
 * a[i] = a[i] / d in place (a float64 division, rounded to float32 on store); an array in `heap`
 * goes to the SIMD kernel, which gives the same bits (see divide-wasm.ts).
 */
export function divideInPlaceF32(a: Float32Array, d: number, heap?: HostHeap): void {
  if (heap && divideInHeap(heap, a, d)) return;
  for (let i = 0, n = a.length; i < n; i++) a[i] = a[i]! / d;
}
