/**
 * maxPool(relu(x + b)) and its gradient for tiling pools (stride = pool, no padding, channels in fours):
 * the conv → bias → relu → pool block of a CNN in one pass each way. Unfused that is BiasRelu, MaxPool,
 * MaxPoolGrad and BiasReluGrad, which write the full-size relu output and its gradient and read them
 * back (~210 MB of traffic at 256×28×28×32); here the forward pass reads x once and writes the pooled
 * output, and the backward pass recomputes relu(x + b) in registers from the saved x.
 * Same values bit for bit as the unfused kernels: the pool's first strict maximum from −∞, relu's NaN
 * and −0 rules, dx = (0 + dy at the window's maximum, +0 elsewhere)·step(relu(x + b)), and the bias
 * gradient summed in float64 in memory order (each window row's dx is re-read while still in cache).
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { tiles } from './max-pool-tile';
import { Asm, Core, I32, V128, Vec, heapAddress, simdFuncs, type FuncDef, type ValType } from './simd';
import { dispose, type WasmBackend } from './wasm-ops';

export const BIAS_RELU_POOL = 'BiasReluMaxPool';
export const BIAS_RELU_POOL_GRAD = 'BiasReluMaxPoolGrad';

/** Largest pool unrolled (each position keeps its relu value in a local). */
export const MAX_POSITIONS = 16;

const HIGH_TO_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

// Params of both functions: x, out (y or dx), dy (0 forward), rows (N·OH), OW, b, acc (0 forward).
const P = { x: 0, out: 1, dy: 2, rows: 3, ow: 4, b: 5, acc: 6 } as const;
const L = { row: 7, ow: 8, cg: 9, pix: 10, q: 11, end: 12, a: 13, bv: 14, best: 15, w: 16, m: 17, d: 18, t: 19, v0: 20 } as const;

/** Per-position relu values, then two float64x2 accumulators per channel group. */
function locals(positions: number, groups: number): ValType[] {
  return [
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    I32,
    V128,
    V128,
    V128,
    V128,
    V128,
    V128,
    ...Array<ValType>(positions + 2 * groups).fill(V128),
  ];
}

/** Pushes relu(local t): pmax(t, 0) keeps t unless t < 0 (so NaN stays NaN), then + 0 turns −0 into +0. */
function relu(b: Asm, t: number): Asm {
  return b.get(t).f32x4(0).v(Vec.f32x4Pmax).f32x4(0).v(Vec.f32x4Add);
}

/** Pushes step(local v): 1 where v > 0, v where NaN, else +0. */
function step(b: Asm, v: number): Asm {
  return b.f32x4(1).get(v).get(v).get(v).v(Vec.f32x4Ne).v(Vec.and).get(v).f32x4(0).v(Vec.f32x4Gt).v(Vec.bitselect);
}

function body(grad: boolean, fh: number, fw: number, rowBytes: number, pixBytes: number): Asm {
  const b = new Asm();
  const groups = pixBytes / 16;
  const acc0 = L.v0 + fh * fw; // after the per-position relu values
  const offsets: number[] = [];
  for (let r = 0; r < fh; r++) for (let c = 0; c < fw; c++) offsets.push(r * rowBytes + c * pixBytes);
  const bump = (ptr: number, by: number) => b.get(ptr).i32(by).op(Core.i32Add).set(ptr);
  b.i32(pixBytes).set(L.pix).i32(0).set(L.row);
  b.forLoop(L.row, P.rows, 1, () => {
    b.i32(0).set(L.ow);
    b.forLoop(L.ow, P.ow, 1, () => {
      b.i32(0).set(L.cg);
      b.forLoop(L.cg, L.pix, 16, () => {
        b.add(P.b, L.cg).vload().set(L.bv);
        b.f32x4(-Infinity).set(L.best).i32(-1).v(Vec.i32x4Splat).set(L.w);
        offsets.forEach((off, k) => {
          const v = L.v0 + k;
          b.add(P.x, L.cg).vload(off).get(L.bv).v(Vec.f32x4Add).set(L.t);
          relu(b, L.t).set(v);
          b.get(v).get(L.best).v(Vec.f32x4Gt).set(L.m);
          b.get(v).get(L.best).get(L.m).v(Vec.bitselect).set(L.best);
          if (grad) b.i32(k).v(Vec.i32x4Splat).get(L.w).get(L.m).v(Vec.bitselect).set(L.w);
        });
        if (!grad) {
          b.add(P.out, L.cg).get(L.best).vstore();
          return;
        }
        b.add(P.dy, L.cg).vload().set(L.d);
        offsets.forEach((off, k) => {
          b.add(P.out, L.cg).f32x4(0).get(L.d).get(L.w).i32(k).v(Vec.i32x4Splat).v(Vec.i32x4Eq).v(Vec.and).v(Vec.f32x4Add);
          step(b, L.v0 + k)
            .v(Vec.f32x4Mul)
            .vstore(off);
        });
      });
      bump(P.x, fw * pixBytes);
      bump(P.out, grad ? fw * pixBytes : pixBytes);
      if (grad) bump(P.dy, pixBytes);
    });
    if (grad) {
      // The bias sums over this window row's fh input rows, in memory order (out has moved one row on),
      // one float64 accumulator pair per channel group kept in locals.
      b.get(P.out).i32(rowBytes).op(Core.i32Sub).set(L.q);
      b.get(P.out)
        .i32((fh - 1) * rowBytes)
        .op(Core.i32Add)
        .set(L.end);
      b.forLoop(
        L.q,
        L.end,
        () => bump(L.q, pixBytes),
        () => {
          for (let g = 0; g < groups; g++) {
            b.get(L.q)
              .vload(16 * g)
              .set(L.t);
            b.get(acc0 + 2 * g)
              .get(L.t)
              .v(Vec.f64x2PromoteLow)
              .v(Vec.f64x2Add)
              .set(acc0 + 2 * g);
            b.get(acc0 + 2 * g + 1)
              .get(L.t)
              .get(L.t)
              .v(Vec.shuffle)
              .op(...HIGH_TO_LOW)
              .v(Vec.f64x2PromoteLow)
              .v(Vec.f64x2Add)
              .set(acc0 + 2 * g + 1);
          }
        },
      );
    }
    bump(P.x, (fh - 1) * rowBytes);
    if (grad) bump(P.out, (fh - 1) * rowBytes);
  });
  if (grad)
    for (let g = 0; g < 2 * groups; g++)
      b.get(P.acc)
        .get(acc0 + g)
        .vstore(16 * g);
  return b;
}

function module(fh: number, fw: number, rowBytes: number, pixBytes: number): FuncDef[] {
  const params: ValType[] = [I32, I32, I32, I32, I32, I32, I32];
  return [
    { name: 'max', params, results: [], locals: locals(fh * fw, pixBytes / 16), body: body(false, fh, fw, rowBytes, pixBytes) },
    { name: 'grad', params, results: [], locals: locals(fh * fw, pixBytes / 16), body: body(true, fh, fw, rowBytes, pixBytes) },
  ];
}

export interface PoolAttrs {
  filterSize: [number, number];
  strides: [number, number];
  pad: 'valid' | 'same';
}

/** The pool's geometry when the fused kernels handle it (x [N, H, W, C], C in fours, tiling windows), else null. */
export function fusedPoolInfo(shape: number[], attrs: PoolAttrs): backend_util.Conv2DInfo | null {
  // Channels up to 256: the bias sums keep two locals per four channels, unrolled.
  if (shape.length !== 4 || shape[3]! % 4 !== 0 || shape[3] === 0 || shape[3]! > 256) return null;
  const info = backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
  );
  const ok =
    tiles(info) && info.filterHeight * info.filterWidth <= MAX_POSITIONS && info.batchSize * info.outHeight * info.outWidth > 0;
  return ok ? info : null;
}

function setup(backend: WasmBackend, x: TensorInfo, attrs: PoolAttrs) {
  const info = x.dtype === 'float32' ? fusedPoolInfo(x.shape, attrs) : null;
  if (info === null)
    throw new Error(`${BIAS_RELU_POOL}: float32 [N, H, W, C in fours] with tiling windows only, got ${x.dtype} [${x.shape}]`);
  const { filterHeight: fh, filterWidth: fw, inWidth: w, inChannels: c } = info;
  const simd = simdFuncs(backend, `bias-relu-pool ${fh} ${fw} ${w} ${c}`, () => module(fh, fw, w * c * 4, c * 4));
  if (simd === null) throw new Error(`${BIAS_RELU_POOL}: needs WebAssembly SIMD and the wasm heap`);
  return { simd, info };
}

const addr = (backend: WasmBackend, t: TensorInfo) => heapAddress(backend, t.dataId);

const biasReluPool: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as WasmBackend;
  const { x, bias } = inputs as { x: TensorInfo; bias: TensorInfo };
  const { simd, info } = setup(backend, x, attrs as unknown as PoolAttrs);
  const y = backend.makeOutput(info.outShape, 'float32');
  simd.max(addr(backend, x), addr(backend, y), 0, info.batchSize * info.outHeight, info.outWidth, addr(backend, bias), 0);
  return y;
};

/** Inputs dy (pooled shape), x, bias; outputs dx (x's shape) and db ([C]). */
const biasReluPoolGrad: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as WasmBackend;
  const { dy, x, bias } = inputs as { dy: TensorInfo; x: TensorInfo; bias: TensorInfo };
  const { simd, info } = setup(backend, x, attrs as unknown as PoolAttrs);
  const c = info.inChannels;
  const dx = backend.makeOutput([...x.shape], 'float32');
  const db = backend.makeOutput([c], 'float32');
  const scratch = backend.makeOutput([2 * c], 'float32'); // c float64 accumulators
  try {
    backend.typedArrayFromHeap(scratch).fill(0);
    simd.grad(
      addr(backend, x),
      addr(backend, dx),
      addr(backend, dy),
      info.batchSize * info.outHeight,
      info.outWidth,
      addr(backend, bias),
      addr(backend, scratch),
    );
    const f32 = backend.typedArrayFromHeap(scratch) as Float32Array;
    (backend.typedArrayFromHeap(db) as Float32Array).set(new Float64Array(f32.buffer, f32.byteOffset, c));
  } finally {
    dispose(backend, scratch);
  }
  return [dx, db];
};

export const biasReluPoolConfig: KernelConfig = { kernelName: BIAS_RELU_POOL, backendName: 'wasm', kernelFunc: biasReluPool };
export const biasReluPoolGradConfig: KernelConfig = {
  kernelName: BIAS_RELU_POOL_GRAD,
  backendName: 'wasm',
  kernelFunc: biasReluPoolGrad,
};
