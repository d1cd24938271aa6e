/**
 * Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter on a native BLAS: each is im2col/col2im (in C)
 * plus one sgemm per batch chunk, with the filter [FH, FW, Cin, Cout] read as a [K = FH·FW·Cin, Cout]
 * matrix in place:
 *   forward        y [M, Cout] = cols [M, K] · W
 *   input grad     cols = dy [M, Cout] · Wᵀ, then dx = col2im(cols)
 *   filter grad    dW += colsᵀ · dy, summed over the chunks by sgemm's beta = 1
 * with M = examples·OH·OW. A 1×1 stride-1 unpadded conv needs no columns: x itself is [M, Cin].
 * The columns live in a reusable JS buffer (a ColumnBuffer), chunked to nativeLimits.maxCols. NCHW,
 * dilation > 1, negative padding, empty tensors and non-float32 go to `fallback` (the wasm kernel).
 */
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { chunkSize, type ColumnBuffer, type NativeGemm } from './native-gemm';
import type { WasmBackend } from './wasm-ops';

type Info = backend_util.Conv2DInfo;
type Shape4 = [number, number, number, number];

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: Shape4;
  filterShape?: Shape4;
}

/** Conv geometry when the native path handles it, else null. */
function convInfo(xShape: Shape4, filterShape: Shape4, a: ConvAttrs, dtypes: string[]): Info | null {
  const format = backend_util.convertConv2DDataFormat(a.dataFormat);
  if (format !== 'channelsLast' || dtypes.some((d) => d !== 'float32')) return null;
  const info = backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    false,
    format,
  );
  // Non-integer output sizes come from a numeric pad tfjs cannot honour (it sizes both axes by the filter height).
  const ok =
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.padInfo.top >= 0 &&
    info.padInfo.left >= 0 &&
    Number.isInteger(info.outHeight) &&
    Number.isInteger(info.outWidth) &&
    info.batchSize * info.outHeight * info.outWidth * info.outChannels * info.inHeight * info.inWidth * info.inChannels > 0;
  return ok ? info : null;
}

/** x itself is the column matrix: 1×1 taps, stride 1, no padding. */
const pointwise = (i: Info): boolean =>
  i.filterHeight === 1 &&
  i.filterWidth === 1 &&
  i.strideHeight === 1 &&
  i.strideWidth === 1 &&
  i.padInfo.top === 0 &&
  i.padInfo.left === 0 &&
  i.outHeight === i.inHeight &&
  i.outWidth === i.inWidth;

/** Calls body(n0, nb, cols) for batch chunks whose columns fit nativeLimits.maxCols. */
function chunks(info: Info, columns: ColumnBuffer, body: (n0: number, nb: number, cols: Float32Array) => void): void {
  const P = info.outHeight * info.outWidth;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const chunk = chunkSize(P, K);
  const cols = columns.take(Math.min(chunk, info.batchSize) * P * K);
  for (let n0 = 0; n0 < info.batchSize; n0 += chunk) body(n0, Math.min(chunk, info.batchSize - n0), cols);
}

/** im2col/col2im's geometry arguments after (image or cols) for `nb` examples. */
const geometry = (i: Info, nb: number) =>
  [
    nb,
    i.inHeight,
    i.inWidth,
    i.inChannels,
    i.filterHeight,
    i.filterWidth,
    i.strideHeight,
    i.strideWidth,
    i.padInfo.top,
    i.padInfo.left,
    i.outHeight,
    i.outWidth,
  ] as const;

/** Channels in and out, output pixels per example, input floats per example, column length. */
function sizes(i: Info) {
  const C = i.inChannels;
  return {
    C,
    CO: i.outChannels,
    P: i.outHeight * i.outWidth,
    HWC: i.inHeight * i.inWidth * C,
    K: i.filterHeight * i.filterWidth * C,
  };
}

const f32 = (backend: WasmBackend, t: TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;

function conv2d(
  native: NativeGemm,
  columns: ColumnBuffer,
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: Info,
): TensorInfo {
  const out = backend.makeOutput(info.outShape, 'float32');
  // Views after makeOutput (it may grow wasm memory); the native calls below allocate nothing there.
  const xv = f32(backend, x);
  const wv = f32(backend, filter);
  const yv = f32(backend, out);
  const { C, CO, P, HWC, K } = sizes(info);
  if (pointwise(info)) {
    native.sgemm(false, false, info.batchSize * P, CO, C, 1, xv, C, wv, CO, 0, yv, CO);
    return out;
  }
  chunks(info, columns, (n0, nb, cols) => {
    native.im2col(xv.subarray(n0 * HWC, (n0 + nb) * HWC), ...geometry(info, nb), cols);
    native.sgemm(false, false, nb * P, CO, K, 1, cols, K, wv, CO, 0, yv.subarray(n0 * P * CO, (n0 + nb) * P * CO), CO);
  });
  return out;
}

function backpropInput(
  native: NativeGemm,
  columns: ColumnBuffer,
  backend: WasmBackend,
  dy: TensorInfo,
  filter: TensorInfo,
  info: Info,
): TensorInfo {
  const out = backend.makeOutput(info.inShape, 'float32');
  const dyv = f32(backend, dy);
  const wv = f32(backend, filter);
  const dxv = f32(backend, out);
  const { C, CO, P, HWC, K } = sizes(info);
  if (pointwise(info)) {
    native.sgemm(false, true, info.batchSize * P, C, CO, 1, dyv, CO, wv, CO, 0, dxv, C);
    return out;
  }
  chunks(info, columns, (n0, nb, cols) => {
    native.sgemm(false, true, nb * P, K, CO, 1, dyv.subarray(n0 * P * CO, (n0 + nb) * P * CO), CO, wv, CO, 0, cols, K);
    native.col2im(cols, ...geometry(info, nb), dxv.subarray(n0 * HWC, (n0 + nb) * HWC));
  });
  return out;
}

function backpropFilter(
  native: NativeGemm,
  columns: ColumnBuffer,
  backend: WasmBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: Info,
): TensorInfo {
  const out = backend.makeOutput(info.filterShape, 'float32');
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  const dwv = f32(backend, out);
  const { C, CO, P, HWC, K } = sizes(info);
  if (pointwise(info)) {
    native.sgemm(true, false, C, CO, info.batchSize * P, 1, xv, C, dyv, CO, 0, dwv, CO);
    return out;
  }
  chunks(info, columns, (n0, nb, cols) => {
    native.im2col(xv.subarray(n0 * HWC, (n0 + nb) * HWC), ...geometry(info, nb), cols);
    // beta 0 on the first chunk (the output starts uninitialised), 1 after: the chunks sum in place.
    native.sgemm(
      true,
      false,
      K,
      CO,
      nb * P,
      1,
      cols,
      K,
      dyv.subarray(n0 * P * CO, (n0 + nb) * P * CO),
      CO,
      n0 === 0 ? 0 : 1,
      dwv,
      CO,
    );
  });
  return out;
}

const wrap = (fallback: KernelConfig, kernelFunc: KernelFunc): KernelConfig => ({
  kernelName: fallback.kernelName,
  backendName: 'wasm',
  setupFunc: fallback.setupFunc,
  disposeFunc: fallback.disposeFunc,
  kernelFunc,
});

export function nativeConv2DConfig(native: NativeGemm, fallback: KernelConfig, columns: ColumnBuffer): KernelConfig {
  return wrap(fallback, (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const info = convInfo(x.shape as Shape4, filter.shape as Shape4, args.attrs as unknown as ConvAttrs, [x.dtype, filter.dtype]);
    return info ? conv2d(native, columns, args.backend as WasmBackend, x, filter, info) : fallback.kernelFunc(args);
  });
}

export function nativeConv2DBackpropInputConfig(native: NativeGemm, fallback: KernelConfig, columns: ColumnBuffer): KernelConfig {
  return wrap(fallback, (args) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const info = convInfo(attrs.inputShape!, filter.shape as Shape4, attrs, [dy.dtype, filter.dtype]);
    return info ? backpropInput(native, columns, args.backend as WasmBackend, dy, filter, info) : fallback.kernelFunc(args);
  });
}

export function nativeConv2DBackpropFilterConfig(
  native: NativeGemm,
  fallback: KernelConfig,
  columns: ColumnBuffer,
): KernelConfig {
  return wrap(fallback, (args) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs;
    const info = convInfo(x.shape as Shape4, attrs.filterShape!, attrs, [x.dtype, dy.dtype]);
    return info ? backpropFilter(native, columns, args.backend as WasmBackend, x, dy, info) : fallback.kernelFunc(args);
  });
}
