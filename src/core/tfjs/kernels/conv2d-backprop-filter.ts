/**
 * Conv2DBackpropFilter for wasm (stock tfjs-wasm has none, so conv training fails there).
 * dW[kh,kw,cin,cout] = Σ_{n,oh,ow} x[n, oh·sh+kh−top, ow·sw+kw−left, cin] · dy[n,oh,ow,cout], computed as
 * one untransposed matMul per batch chunk: colsᵀ [K, M] · dy [M, Cout] with K = kh·kw·cin, M = n·oh·ow.
 * colsᵀ (im2col, already transposed) is built in JS straight from wasm memory; padding reads as zero.
 */
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { dispose, reshape, run, type WasmBackend } from './wasm-ops';

/** Upper bound on im2col elements per batch chunk (32 MB of float32); mutable so tests can force chunks. */
export const bpfLimits = { maxCols: 8 * 1024 * 1024 };

type ConvInfo = backend_util.Conv2DInfo;

/** Writes colsᵀ for examples [n0, n0+nb) into `out` (length K·nb·oh·ow). */
function fillColsT(xv: Float32Array, out: Float32Array, info: ConvInfo, n0: number, nb: number): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const { top, left } = info.padInfo;
  const M = nb * OH * OW;
  // Example-major: one example's input stays in cache while all K rows of its columns are written.
  for (let n = n0; n < n0 + nb; n++) {
    const col0 = (n - n0) * OH * OW;
    for (let i = 0; i < FH; i++) {
      for (let j = 0; j < FW; j++) {
        for (let c = 0; c < C; c++) {
          let o = ((i * FW + j) * C + c) * M + col0;
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * SH + i - top;
            if (ih < 0 || ih >= H) {
              out.fill(0, o, o + OW);
              o += OW;
              continue;
            }
            // Columns whose input lies inside the image: [owLo, owHi); the rest read padding (zero).
            const owLo = Math.min(OW, Math.max(0, Math.ceil((left - j) / SW)));
            const owHi = Math.max(owLo, Math.min(OW, Math.ceil((W + left - j) / SW)));
            for (let e = o + owLo; o < e; o++) out[o] = 0;
            let p = (n * H + ih) * W * C + (owLo * SW + j - left) * C + c;
            const step = SW * C;
            for (let ow = owLo; ow < owHi; ow++, p += step) out[o++] = xv[p];
            for (let e = o + OW - owHi; o < e; o++) out[o] = 0;
          }
        }
      }
    }
  }
}

function colsT(backend: WasmBackend, x: TensorInfo, info: ConvInfo, n0: number, nb: number): TensorInfo {
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  const out = backend.makeOutput([K, nb * info.outHeight * info.outWidth], 'float32');
  // Views after the allocation: makeOutput may grow wasm memory and detach older views.
  fillColsT(backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array, info, n0, nb);
  return out;
}

/** dy rows of examples [n0, n0+nb) as [nb·oh·ow, cout]. */
function dyRows(backend: WasmBackend, dy: TensorInfo, info: ConvInfo, n0: number, nb: number): TensorInfo {
  const rows = nb * info.outHeight * info.outWidth;
  if (nb === info.batchSize) return reshape(backend, dy, [rows, info.outChannels]);
  const out = backend.makeOutput([rows, info.outChannels], 'float32');
  const per = info.outHeight * info.outWidth * info.outChannels;
  const src = backend.typedArrayFromHeap(dy) as Float32Array;
  (backend.typedArrayFromHeap(out) as Float32Array).set(src.subarray(n0 * per, (n0 + nb) * per));
  return out;
}

const conv2dBackpropFilter: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as WasmBackend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  const format = backend_util.convertConv2DDataFormat(dataFormat);
  if (format !== 'channelsLast') throw new Error('Conv2DBackpropFilter (wasm project kernel): only NHWC is supported');
  if (x.dtype !== 'float32' || dy.dtype !== 'float32')
    throw new Error('Conv2DBackpropFilter (wasm project kernel): float32 only');
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const K = filterShape[0] * filterShape[1] * filterShape[2];
  const chunk = Math.max(1, Math.floor(bpfLimits.maxCols / Math.max(1, K * info.outHeight * info.outWidth)));
  let acc: TensorInfo | null = null;
  for (let n0 = 0; n0 < info.batchSize; n0 += chunk) {
    const nb = Math.min(chunk, info.batchSize - n0);
    const cols = colsT(backend, x, info, n0, nb);
    const rows = dyRows(backend, dy, info, n0, nb);
    const prod = run(backend, 'BatchMatMul', { a: cols, b: rows }, { transposeA: false, transposeB: false });
    dispose(backend, cols, rows);
    if (acc === null) acc = prod;
    else {
      const sum = run(backend, 'Add', { a: acc, b: prod });
      dispose(backend, acc, prod);
      acc = sum;
    }
  }
  if (acc === null) {
    // Empty batch: zero gradient.
    const zeros = backend.makeOutput(filterShape, 'float32');
    (backend.typedArrayFromHeap(zeros) as Float32Array).fill(0);
    return zeros;
  }
  const out = reshape(backend, acc, filterShape);
  dispose(backend, acc);
  return out;
};

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};
