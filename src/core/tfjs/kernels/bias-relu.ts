/**
 * relu(x + b) and its gradient in one pass each, for a bias of whole v128s (x[..., C], b[C], C % 4 = 0).
 * Unfused, a layer's bias and relu are Add and Relu, then ReluGrad and Sum on the way back: two extra
 * full-size tensors written and read again (~6 ms of a batch-256 CNN step). Same values bit for bit:
 * the float32 sum, relu's NaN/−0 rules (relu(NaN) = NaN, relu(−0) = +0), dy·step(pre) with step read
 * off the output (out > 0 iff pre > 0, out is NaN iff pre is), and the bias gradient as Sum's float64
 * column sums. The op that uses them is ../bias-relu.ts.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Asm, Core, I32, V128, Vec, heapAddress, simdFuncs, type FuncDef } from './simd';
import { dispose, sizeOf, type WasmBackend } from './wasm-ops';

export const BIAS_RELU = 'BiasRelu';
export const BIAS_RELU_GRAD = 'BiasReluGrad';

const HIGH_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** Pushes (base + q + c), an address in row q at byte c. */
function at(b: Asm, base: number, q: number, c: number): Asm {
  return b.get(base).get(q).op(Core.i32Add).get(c).op(Core.i32Add);
}

/** for q in rows (step rowBytes), c in [0, rowBytes) step 16: body() */
function rows(b: Asm, q: number, c: number, bytes: number, rowBytes: number, body: () => void): void {
  b.i32(0).set(q);
  b.forLoop(
    q,
    bytes,
    () => b.add(q, rowBytes).set(q),
    () => {
      b.i32(0).set(c);
      b.forLoop(c, rowBytes, 16, body);
    },
  );
}

/** bias_relu(x, out, bytes, b, rowBytes): out = relu(x + b) — v where v > 0, v where NaN, else +0. */
function forwardFunc(): FuncDef {
  const [x, out, bytes, bias, rowBytes, q, c, v] = [0, 1, 2, 3, 4, 5, 6, 7];
  const b = new Asm();
  rows(b, q, c, bytes, rowBytes, () => {
    at(b, out, q, c);
    at(b, x, q, c).vload().add(bias, c).vload().v(Vec.f32x4Add).set(v);
    b.get(v).get(v).get(v).get(v).v(Vec.f32x4Ne).v(Vec.and).get(v).f32x4(0).v(Vec.f32x4Gt).v(Vec.bitselect).vstore();
  });
  return { name: 'bias_relu', params: [I32, I32, I32, I32, I32], results: [], locals: [I32, I32, V128], body: b };
}

/** bias_relu_grad(dy, y, dx, bytes, rowBytes, acc): dx = dy·step(y); acc (float64[C]) += each row of dx. */
function gradFunc(): FuncDef {
  const [dy, y, dx, bytes, rowBytes, acc, q, c, a, o, d] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const b = new Asm();
  rows(b, q, c, bytes, rowBytes, () => {
    at(b, y, q, c).vload().set(o);
    at(b, dy, q, c).vload();
    // step(y): 1 where y > 0, y (NaN) where NaN, +0 elsewhere
    b.f32x4(1).get(o).get(o).get(o).v(Vec.f32x4Ne).v(Vec.and).get(o).f32x4(0).v(Vec.f32x4Gt).v(Vec.bitselect);
    b.v(Vec.f32x4Mul).set(d);
    at(b, dx, q, c).get(d).vstore();
    b.get(acc).get(c).i32(2).op(Core.i32Mul, Core.i32Add).set(a); // float64 lanes: twice the bytes
    b.get(a).get(a).vload().get(d).v(Vec.f64x2PromoteLow).v(Vec.f64x2Add).vstore();
    b.get(a)
      .get(a)
      .vload(16)
      .get(d)
      .get(d)
      .v(Vec.shuffle)
      .op(...HIGH_TO_LOW)
      .v(Vec.f64x2PromoteLow)
      .v(Vec.f64x2Add)
      .vstore(16);
  });
  return {
    name: 'bias_relu_grad',
    params: [I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, V128, V128],
    body: b,
  };
}

const biasReluModule = (): FuncDef[] => [forwardFunc(), gradFunc()];

function funcs(backend: WasmBackend, x: TensorInfo, c: number) {
  if (x.dtype !== 'float32' || c % 4 !== 0 || c === 0 || sizeOf(x.shape) % c !== 0)
    throw new Error(`${BIAS_RELU}: float32 with a bias of whole v128s only, got ${x.dtype} [${x.shape}] and ${c}`);
  const simd = simdFuncs(backend, 'bias-relu', biasReluModule);
  if (simd === null) throw new Error(`${BIAS_RELU}: needs WebAssembly SIMD and the wasm heap`);
  return simd;
}

const biasRelu: KernelFunc = ({ inputs, backend: b }) => {
  const backend = b as WasmBackend;
  const { x, bias } = inputs as { x: TensorInfo; bias: TensorInfo };
  const c = sizeOf(bias.shape);
  const simd = funcs(backend, x, c);
  const out = backend.makeOutput([...x.shape], 'float32');
  const addr = (t: TensorInfo) => heapAddress(backend, t.dataId);
  simd.bias_relu(addr(x), addr(out), sizeOf(x.shape) * 4, addr(bias), c * 4);
  return out;
};

/** Inputs dy and y (the forward output); attr biasSize. Outputs dx (y's shape) and db ([biasSize]). */
const biasReluGrad: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as WasmBackend;
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  const c = (attrs as { biasSize: number }).biasSize;
  const simd = funcs(backend, y, c);
  const dx = backend.makeOutput([...y.shape], 'float32');
  const db = backend.makeOutput([c], 'float32');
  const scratch = backend.makeOutput([2 * c], 'float32'); // c float64 accumulators
  try {
    backend.typedArrayFromHeap(scratch).fill(0);
    const addr = (t: TensorInfo) => heapAddress(backend, t.dataId);
    simd.bias_relu_grad(addr(dy), addr(y), addr(dx), sizeOf(y.shape) * 4, c * 4, addr(scratch));
    const f32 = backend.typedArrayFromHeap(scratch) as Float32Array;
    (backend.typedArrayFromHeap(db) as Float32Array).set(new Float64Array(f32.buffer, f32.byteOffset, c));
  } finally {
    dispose(backend, scratch);
  }
  return [dx, db];
};

export const biasReluConfig: KernelConfig = { kernelName: BIAS_RELU, backendName: 'wasm', kernelFunc: biasRelu };
export const biasReluGradConfig: KernelConfig = { kernelName: BIAS_RELU_GRAD, backendName: 'wasm', kernelFunc: biasReluGrad };
