/**
 * DropoutMask: the dropout mask of core/models/dropout.ts generated straight into a wasm tensor, four
 * counters at a time (i32x4 hash), instead of a JS loop (~0.8 ms for [256, 512]) and an upload. The same
 * bits: each lane computes that module's hash of its counter and compares it with the same integer
 * threshold; a run's last < 4 counters use its fillMaskRun.
 * Attrs: key (streamKey(seed, layer)), start (first counter, may exceed 2^32), size, threshold
 * (ceil(rate·2²⁴)), scale (1/(1−rate)), shape.
 */
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { fillMaskRun } from '../../random/dropout-mask';
import { GOLDEN, highWordKey } from '../../random/counter';
import { Asm, Core, F32, I32, V128, Vec, heapAddress, simdFuncs, type FuncDef } from './simd';
import { sizeOf, type WasmBackend } from './wasm-ops';

export const DROPOUT_MASK = 'DropoutMask';

const TWO_32 = 0x100000000;
const I32X4 = { splat: 0x11, shrU: 0xad, add: 0xae, mul: 0xb5, geS: 0x3f } as const;
const XOR = 0x51;

/** mask(out, bytes, k, lo0, threshold, scale): whole v128s of the mask for counters lo0, lo0 + 1, … (high word folded into k). */
function maskFunc(): FuncDef {
  const [out, bytes, k, lo0, threshold, scale, i, lanes, kv, h] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const b = new Asm();
  const shr = (n: number) => b.get(h).get(h).i32(n).v(I32X4.shrU).v(XOR).set(h);
  const mul = (c: number) => b.get(h).i32(c).v(I32X4.splat).v(I32X4.mul).set(h);
  const mix = () => {
    shr(16);
    mul(0x85ebca6b | 0);
    shr(13);
    mul(0xc2b2ae35 | 0);
    shr(16);
  };
  // lanes = lo0 + [0, 1, 2, 3]; kv = splat(k)
  b.get(lo0)
    .v(I32X4.splat)
    .simd(Vec.const)
    .op(...new Uint8Array(new Int32Array([0, 1, 2, 3]).buffer))
    .v(I32X4.add)
    .set(lanes);
  b.get(k).v(I32X4.splat).set(kv);
  b.i32(0).set(i);
  b.forLoop(i, bytes, 16, () => {
    b.get(kv)
      .get(lanes)
      .i32(GOLDEN | 0)
      .v(I32X4.splat)
      .v(I32X4.mul)
      .v(I32X4.add)
      .set(h);
    mix();
    b.get(h).get(kv).v(XOR).set(h);
    mix();
    // keep where (h >>> 8) >= threshold: the scale's bits there, +0 elsewhere
    b.add(out, i).get(scale).v(Vec.f32x4Splat);
    b.get(h).i32(8).v(I32X4.shrU).get(threshold).v(I32X4.splat).v(I32X4.geS).v(Vec.and).vstore();
    b.get(lanes).i32(4).v(I32X4.splat).v(I32X4.add).set(lanes);
  });
  return { name: 'mask', params: [I32, I32, I32, I32, I32, F32], results: [], locals: [I32, V128, V128, V128], body: b };
}

interface MaskAttrs {
  key: number;
  start: number;
  size: number;
  threshold: number;
  scale: number;
  shape: number[];
}

const dropoutMaskKernel: KernelFunc = ({ backend: b, attrs }) => {
  const backend = b as WasmBackend;
  const { key, start, size, threshold, scale, shape } = attrs as unknown as MaskAttrs;
  if (sizeOf(shape) !== size) throw new Error(`${DROPOUT_MASK}: shape [${shape}] does not hold ${size} values`);
  const simd = simdFuncs(backend, 'dropout-mask', () => [maskFunc()]);
  if (simd === null) throw new Error(`${DROPOUT_MASK}: needs WebAssembly SIMD and the wasm heap`);
  const out = backend.makeOutput(shape, 'float32');
  const base = heapAddress(backend, out.dataId);
  const fScale = Math.fround(scale);
  let at = 0;
  let c = start;
  while (at < size) {
    // One run of counters sharing their high 32 bits.
    const hi = Math.floor(c / TWO_32);
    const n = Math.min(size - at, (hi + 1) * TWO_32 - c);
    const k = highWordKey(key, hi) | 0;
    const lo0 = c - hi * TWO_32;
    const n4 = n - (n % 4);
    if (n4 > 0) simd.mask(base + at * 4, n4 * 4, k, lo0 | 0, threshold, fScale);
    // The last < 4 counters of the run in JS (views after the allocation: memory growth detaches them).
    fillMaskRun(backend.typedArrayFromHeap(out) as Float32Array, at + n4, k, (lo0 + n4) | 0, n - n4, threshold, scale);
    at += n;
    c += n;
  }
  return out;
};

export const dropoutMaskConfig: KernelConfig = { kernelName: DROPOUT_MASK, backendName: 'wasm', kernelFunc: dropoutMaskKernel };
