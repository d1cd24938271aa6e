// STREAM-style triad a[i] = b[i] + s*c[i]: the memory-bandwidth baseline for the
// kernel bench. Best of a plain JS loop and a WASM SIMD loop over heap buffers.
import { Body, F32, I32, Op, Simd, V128, encodeModule } from '../src/core/wasm/encoder';
import { HostHeap } from '../src/core/wasm/heap';
import type { BenchSection } from './section';
import { si, timeMedian } from './timing';

/** Bytes moved per element: read b and c, write a (write-allocate traffic not counted, as in STREAM). */
export const TRIAD_BYTES = 12;

type TriadFn = (a: number, b: number, c: number, n: number, s: number) => void;

/** triad(a, b, c, n, s) over n floats (n a multiple of 4), f32x4 lanes. */
function triadModule(): Uint8Array<ArrayBuffer> {
  const [A, B, C, N, S, I, END, VS] = [0, 1, 2, 3, 4, 5, 6, 7];
  const b = new Body();
  b.get(N).i32(2).op(Op.i32Shl).set(END);
  b.get(S).simd(Simd.f32x4Splat).set(VS);
  b.op(Op.block, 0x40).get(I).get(END).op(Op.i32GeU, Op.brIf, 0);
  b.op(Op.loop, 0x40);
  b.get(A).get(I).op(Op.i32Add);
  b.get(B).get(I).op(Op.i32Add).simd(Simd.v128Load).op(4, 0);
  b.get(VS).get(C).get(I).op(Op.i32Add).simd(Simd.v128Load).op(4, 0).simd(Simd.f32x4Mul);
  b.simd(Simd.f32x4Add).simd(Simd.v128Store).op(4, 0);
  b.get(I).i32(16).op(Op.i32Add).tee(I).get(END).op(Op.i32LtU, Op.brIf, 0);
  b.op(Op.end, Op.end);
  return encodeModule(
    [{ name: 'triad', params: [I32, I32, I32, I32, F32], results: [], locals: [I32, I32, V128], body: b }],
    true,
  );
}

function jsTriad(a: Float32Array, b: Float32Array, c: Float32Array, s: number): void {
  for (let i = 0, n = a.length; i < n; i++) a[i] = b[i] + s * c[i];
}

export interface TriadResult {
  jsBytesPerSec: number;
  wasmBytesPerSec: number;
  best: number;
  bestName: 'js' | 'wasm-simd';
}

export async function measureTriad(n: number, reps = 7): Promise<TriadResult> {
  n -= n % 4;
  const ja = new Float32Array(n);
  const jb = new Float32Array(n).fill(1);
  const jc = new Float32Array(n).fill(2);
  const jsMs = await timeMedian(() => jsTriad(ja, jb, jc, 3), reps, 2);

  const heap = new HostHeap(); // its own memory: the triad measures bandwidth, nothing else is in it
  const [ha, hb, hc] = [heap.allocHeap(n), heap.allocHeap(n), heap.allocHeap(n)];
  hb.array().fill(1);
  hc.array().fill(2);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(triadModule()), { env: { memory: heap.memory! } });
  const triad = inst.exports.triad as TriadFn;
  const wasmMs = await timeMedian(() => triad(ha.byteOffset, hb.byteOffset, hc.byteOffset, n, 3), reps, 2);
  if (ha.array()[n - 1] !== 7 || ja[n - 1] !== 7) throw new Error('triad computed a wrong value');
  for (const h of [ha, hb, hc]) h.free();

  const js = (TRIAD_BYTES * n) / (jsMs / 1e3);
  const wasm = (TRIAD_BYTES * n) / (wasmMs / 1e3);
  return { jsBytesPerSec: js, wasmBytesPerSec: wasm, best: Math.max(js, wasm), bestName: wasm >= js ? 'wasm-simd' : 'js' };
}

export function printTriad(t: TriadResult): void {
  console.log(`triad JS loop        ${si(t.jsBytesPerSec)}B/s`);
  console.log(`triad WASM SIMD loop ${si(t.wasmBytesPerSec)}B/s`);
  console.log(`triad best           ${si(t.best)}B/s (${t.bestName})`);
}

export const triadSection: BenchSection = {
  name: 'triad',
  description: 'STREAM-style triad memory bandwidth, 10M float32 per array, single thread',
  async run() {
    printTriad(await measureTriad(10_000_000));
  },
};
