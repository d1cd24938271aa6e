/**
 * ReluGrad (dx = dy · step(x)) in one pass. tfjs's relu gradient is Step, then Cast, then Multiply:
 * three kernels and two full-size temporaries (~11 ms of a batch-256 CNN step on wasm). Same values,
 * bit for bit: step(x) is 1 for x > 0, NaN for NaN and 0 otherwise, and dy is multiplied by it (so a
 * negative dy where x ≤ 0 gives −0, an infinite one NaN, as tfjs's Multiply does).
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Asm, I32, Vec, heapAddress, simdFuncs, type FuncDef } from './simd';
import { sizeOf, type WasmBackend } from './wasm-ops';

export const RELU_GRAD = 'ReluGrad';

/** relu_grad(x, dy, dx, bytes): whole v128s only; the caller does the last < 4 elements. */
function reluGradModule(): FuncDef[] {
  const [x, dy, dx, end, i] = [0, 1, 2, 3, 4];
  const b = new Asm();
  b.i32(0).set(i);
  b.forLoop(i, end, 16, () => {
    b.add(dx, i); // store address
    b.add(dy, i).vload();
    b.f32x4(1); // step: 1 where x > 0 …
    b.add(x, i).vload().add(x, i).vload().add(x, i).vload().v(Vec.f32x4Ne).v(Vec.and); // … x itself where NaN, else +0
    b.add(x, i).vload().f32x4(0).v(Vec.f32x4Gt);
    b.v(Vec.bitselect).v(Vec.f32x4Mul).vstore();
  });
  return [{ name: 'relu_grad', params: [I32, I32, I32, I32], results: [], locals: [I32], body: b }];
}

function stepTimes(x: number, dy: number): number {
  return dy * (x > 0 ? 1 : x !== x ? NaN : 0);
}

const reluGrad: KernelFunc = ({ inputs, backend: b }) => {
  const backend = b as WasmBackend;
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  if (x.dtype !== 'float32' || dy.dtype !== 'float32')
    throw new Error(`ReluGrad: float32 only, got x ${x.dtype}, dy ${dy.dtype}`);
  if (sizeOf(x.shape) !== sizeOf(dy.shape)) throw new Error(`ReluGrad: x [${x.shape}] and dy [${dy.shape}] differ in size`);
  const n = sizeOf(x.shape);
  const out = backend.makeOutput(x.shape, 'float32');
  const simd = simdFuncs(backend, 'relu-grad', reluGradModule);
  const n4 = simd === null ? 0 : n - (n % 4);
  if (n4 > 0)
    simd!.relu_grad(heapAddress(backend, x.dataId), heapAddress(backend, dy.dataId), heapAddress(backend, out.dataId), n4 * 4);
  // Views after the allocation (memory growth detaches older ones).
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  const ov = backend.typedArrayFromHeap(out) as Float32Array;
  for (let i = n4; i < n; i++) ov[i] = stepTimes(xv[i], dyv[i]);
  return out;
};

export const reluGradConfig: KernelConfig = { kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: reluGrad };
