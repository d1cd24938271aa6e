/**
 * Sum over leading axes for wasm. Stock wasm Sum reduces only innermost axes, so it first transposes —
 * and wasm Transpose of a tall [rows, channels] tensor is slow. Every bias gradient is such a sum (a conv
 * bias sums dy over batch, height and width). Here it is one pass over the rows, accumulating each
 * column in float64 (so no worse than stock's float32 running sum): a SIMD loop on the heap when the
 * row is whole v128s, else JS (a JS loop costs ~3 ns an element, the SIMD one is memory-bound).
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { Asm, Core, I32, V128, Vec, heapAddress, simdFuncs, type FuncDef } from './simd';
import { dispose, sizeOf, stockKernel, type WasmBackend } from './wasm-ops';

/** Reduced row count below which the stock kernel is as good. */
const MIN_ROWS = 64;

/** k if `axes` is exactly [0, …, k−1] with k < rank, else 0. */
function leadingAxes(axes: number[], rank: number): number {
  const sorted = [...axes].sort((a, b) => a - b);
  const k = sorted.length;
  if (k === 0 || k >= rank) return 0;
  return sorted.every((a, i) => a === i) ? k : 0;
}

/** sum_rows(x, end, rowBytes, acc): acc (float64[cols]) += each row of x, rows in order. */
function sumRowsModule(): FuncDef[] {
  const [p, end, rowBytes, acc, c, a, v] = [0, 1, 2, 3, 4, 5, 6];
  const b = new Asm();
  const highToLow = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
  b.forLoop(
    p,
    end,
    () => b.add(p, rowBytes).set(p),
    () => {
      b.i32(0).set(c);
      b.forLoop(c, rowBytes, 16, () => {
        b.add(p, c).vload().set(v);
        b.get(acc).get(c).i32(2).op(Core.i32Mul, Core.i32Add).set(a); // float64 lanes: twice the bytes
        b.get(a).get(a).vload().get(v).v(Vec.f64x2PromoteLow).v(Vec.f64x2Add).vstore();
        b.get(a)
          .get(a)
          .vload(16)
          .get(v)
          .get(v)
          .v(Vec.shuffle)
          .op(...highToLow)
          .v(Vec.f64x2PromoteLow)
          .v(Vec.f64x2Add)
          .vstore(16);
      });
    },
  );
  return [{ name: 'sum_rows', params: [I32, I32, I32, I32], results: [], locals: [I32, I32, V128], body: b }];
}

function sumRows(backend: WasmBackend, x: TensorInfo, rows: number, cols: number): Float64Array {
  const simd = cols % 4 === 0 ? simdFuncs(backend, 'sum-rows', sumRowsModule) : null;
  if (simd === null) {
    const xv = backend.typedArrayFromHeap(x) as Float32Array;
    const acc = new Float64Array(cols);
    for (let base = 0; base < rows * cols; base += cols) for (let c = 0; c < cols; c++) acc[c] += xv[base + c];
    return acc;
  }
  const scratch = backend.makeOutput([2 * cols], 'float32'); // cols float64s
  try {
    const at = heapAddress(backend, scratch.dataId);
    backend.typedArrayFromHeap(scratch).fill(0);
    const from = heapAddress(backend, x.dataId);
    simd.sum_rows(from, from + rows * cols * 4, cols * 4, at);
    const f32 = backend.typedArrayFromHeap(scratch) as Float32Array;
    return new Float64Array(f32.buffer, f32.byteOffset, cols).slice();
  } finally {
    dispose(backend, scratch);
  }
}

const sum: KernelFunc = (args) => {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const k = x.dtype === 'float32' ? leadingAxes(util.parseAxisParam(axis, x.shape), x.shape.length) : 0;
  const rows = k === 0 ? 0 : sizeOf(x.shape.slice(0, k));
  if (rows < MIN_ROWS) return stockKernel('Sum').kernelFunc(args);
  const rest = x.shape.slice(k);
  const cols = sizeOf(rest);
  const out = backend.makeOutput(keepDims ? [...Array(k).fill(1), ...rest] : rest, 'float32');
  const acc = sumRows(backend, x, rows, cols);
  // View after every allocation (memory growth detaches older ones).
  (backend.typedArrayFromHeap(out) as Float32Array).set(acc);
  return out;
};

export const sumConfig = (stockConfig: KernelConfig): KernelConfig => ({
  kernelName: 'Sum',
  backendName: 'wasm',
  setupFunc: stockConfig.setupFunc,
  disposeFunc: stockConfig.disposeFunc,
  kernelFunc: sum,
});
