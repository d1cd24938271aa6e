/**
 * Slice, SplitV and Unpack for wasm, reading the input in place. The stock wasm Slice starts with
 * backend.readSync(x), a copy of the whole input, and SplitV and Unpack call it once per piece: an
 * LSTM's tf.unstack of its [32, 64, 256] input term copied 64 × 2 MB and took ~140 ms here. These
 * copy only the piece, one contiguous run (the last axis's extent) at a time. Strings go to stock.
 */
import { backend_util, slice_util, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { sizeOf, type WasmBackend } from './wasm-ops';

/** x[begin : begin + size] as a new tensor, copied run by run from wasm memory. */
export function slicePiece(backend: WasmBackend, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const n = sizeOf(size);
  if (n === 0) return out;
  // Views after the allocation (memory growth detaches older ones).
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  const strides = util.computeStrides(x.shape);
  const offsetOf = (index: number[]) => index.reduce((o, i, d) => o + (begin[d]! + i) * (d < rank - 1 ? strides[d]! : 1), 0);
  if (slice_util.isSliceContinous(x.shape, begin, size)) {
    const from = offsetOf(new Array<number>(rank).fill(0));
    ov.set(xv.subarray(from, from + n));
    return out;
  }
  const run = size[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o += run) {
    const from = offsetOf(index);
    ov.set(xv.subarray(from, from + run), o);
    // the next run: advance the odometer over every axis but the last
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

const stringsToStock =
  (stock: KernelConfig, f: KernelFunc): KernelFunc =>
  (args) =>
    (Object.values(args.inputs)[0] as TensorInfo).dtype === 'string' ? stock.kernelFunc(args) : f(args);

const wrap = (stock: KernelConfig, f: KernelFunc): KernelConfig => ({
  kernelName: stock.kernelName,
  backendName: 'wasm',
  setupFunc: stock.setupFunc,
  disposeFunc: stock.disposeFunc,
  kernelFunc: stringsToStock(stock, f),
});

export function sliceConfig(stock: KernelConfig): KernelConfig {
  return wrap(stock, ({ inputs, attrs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin, size] = slice_util.parseSliceParams(x as never, a.begin, a.size);
    return slicePiece(backend as WasmBackend, x, begin, size);
  });
}

export function splitVConfig(stock: KernelConfig): KernelConfig {
  return wrap(stock, ({ inputs, attrs, backend }) => {
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const axis = util.parseAxisParam(a.axis, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(x as never, a.numOrSizeSplits, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const piece = slicePiece(backend as WasmBackend, x, [...begin], size);
      begin[axis]! += s;
      return piece;
    });
  });
}

export function unpackConfig(stock: KernelConfig): KernelConfig {
  return wrap(stock, ({ inputs, attrs, backend }) => {
    const { value: x } = inputs as { value: TensorInfo };
    const rank = x.shape.length;
    const axis = ((attrs as unknown as { axis: number }).axis + rank) % rank;
    const outShape = x.shape.filter((_, d) => d !== axis);
    const size = [...x.shape];
    size[axis] = 1;
    return Array.from({ length: x.shape[axis]! }, (_, i) => {
      const begin = new Array<number>(rank).fill(0);
      begin[axis] = i;
      const piece = slicePiece(backend as WasmBackend, x, begin, size);
      return { ...piece, shape: outShape };
    });
  });
}
