// Shared helpers for the kernel tests: a compute context of their own, the fused kernels on it, and
// state triples on either storage path.
import { plainHostBuffer, type HostBuffer } from '../../../../src/core/wasm/heap';
import { ComputeContext } from '../../../../src/core/context';
import { FusedAdadelta } from '../../../../src/core/optimizers/kernels/adadelta-fused';

/** The kernel tests' context: their heap and copy meter, nobody else's. */
export const context = new ComputeContext();
export const heap = context.heap;
export const kernels = new FusedAdadelta(context.copies);

export interface State {
  v: HostBuffer;
  eg: HostBuffer;
  ed: HostBuffer;
}

/** 'heap' runs the WASM SIMD kernel, 'plain' the JS fround loop. */
export type Path = 'heap' | 'plain';

export function makeState(path: Path, init: ArrayLike<number>, dtype: 'float32' | 'float64' = 'float32'): State {
  const n = init.length;
  const mk = (): HostBuffer => {
    if (path === 'heap' && dtype === 'float32') return heap.allocHost('float32', n);
    return plainHostBuffer(dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
  };
  const s = { v: mk(), eg: mk(), ed: mk() };
  if (path === 'heap' && dtype === 'float32') if (!s.v.inWasmHeap) throw new Error('expected a heap buffer');
  s.v.array().set(init);
  return s;
}

export function freeState(s: State): void {
  s.v.free();
  s.eg.free();
  s.ed.free();
}

/** Float32 value of a printed decimal: the spec prints 9 significant digits, enough to name one float32. */
export function f32(x: number): number {
  return Math.fround(x);
}
