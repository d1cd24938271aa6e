/**
 * DepthwiseConv2dNativeBackpropInput and …BackpropFilter for wasm (stock tfjs-wasm has neither, so
 * DepthwiseConv2D, SeparableConv2D and depthwise Conv1D fail to train there). Direct loops over the
 * wasm heap, the channel loop innermost (contiguous in NHWC), float32 accumulation as the cpu kernels:
 *   dx[n, h, w, c] = Σ_{i,j,m} dy[n, oh, ow, c·M + m] · W[i, j, c, m]   where h = oh·sh + i − top,
 *   dW[i, j, c, m] = Σ_{n,oh,ow} x[n, oh·sh + i − top, ow·sw + j − left, c] · dy[n, oh, ow, c·M + m].
 * Dilations other than 1 are refused (Keras layers here never ask for them).
 */
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm-ops';

interface DepthwiseAttrs {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: [number, number, number, number];
  filterShape?: [number, number, number, number];
}

function infoOf(xShape: number[], filterShape: number[], a: DepthwiseAttrs, what: string): backend_util.Conv2DInfo {
  const d = typeof a.dilations === 'number' ? [a.dilations, a.dilations] : a.dilations;
  if (d[0] !== 1 || d[1] !== 1) throw new Error(`${what} (wasm project kernel): dilations other than 1 are not supported`);
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    true,
  );
}

/** The sizes both gradients loop over, by the names the formulas above use; M is the depth multiplier. */
function geometryOf(xShape: number[], filterShape: number[], a: DepthwiseAttrs, what: string) {
  const info = infoOf(xShape, filterShape, a, what);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  return { N, H, W, C, OH, OW, CO, FH, FW, SH, SW, top: info.padInfo.top, left: info.padInfo.left, M: CO / C };
}

/** Output rows [ohLo, ohHi) whose window row i lands inside the input (h = oh·s + i − pad in [0, H)). */
function span(i: number, pad: number, s: number, out: number, size: number): [number, number] {
  const lo = Math.max(0, Math.ceil((pad - i) / s));
  const hi = Math.min(out, Math.ceil((size + pad - i) / s));
  return [lo, Math.max(lo, hi)];
}

const backpropInput: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as WasmBackend;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as DepthwiseAttrs;
  const { N, H, W, C, OH, OW, CO, FH, FW, SH, SW, top, left, M } = geometryOf(
    a.inputShape!,
    filter.shape,
    a,
    'DepthwiseConv2dNativeBackpropInput',
  );
  const out = backend.makeOutput([N, H, W, C], 'float32');
  // Views after the allocation: makeOutput may grow the heap and detach older views.
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const w = backend.typedArrayFromHeap(filter) as Float32Array;
  dx.fill(0);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < FH; i++) {
      const [ohLo, ohHi] = span(i, top, SH, OH, H);
      for (let j = 0; j < FW; j++) {
        const [owLo, owHi] = span(j, left, SW, OW, W);
        const wBase = (i * FW + j) * C * M;
        for (let oh = ohLo; oh < ohHi; oh++) {
          const h = oh * SH + i - top;
          for (let ow = owLo; ow < owHi; ow++) {
            const x0 = ((n * H + h) * W + (ow * SW + j - left)) * C;
            const y0 = ((n * OH + oh) * OW + ow) * CO;
            if (M === 1) {
              for (let c = 0; c < C; c++) dx[x0 + c] += g[y0 + c]! * w[wBase + c]!;
              continue;
            }
            for (let c = 0; c < C; c++) {
              let s = 0;
              for (let m = 0; m < M; m++) s += g[y0 + c * M + m]! * w[wBase + c * M + m]!;
              dx[x0 + c] += s;
            }
          }
        }
      }
    }
  }
  return out;
};

const backpropFilter: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = b as WasmBackend;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as DepthwiseAttrs;
  const { N, H, W, C, OH, OW, CO, FH, FW, SH, SW, top, left, M } = geometryOf(
    x.shape,
    a.filterShape!,
    a,
    'DepthwiseConv2dNativeBackpropFilter',
  );
  const out = backend.makeOutput([FH, FW, C, M], 'float32');
  const dw = backend.typedArrayFromHeap(out) as Float32Array;
  const xv = backend.typedArrayFromHeap(x) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  dw.fill(0);
  for (let i = 0; i < FH; i++) {
    const [ohLo, ohHi] = span(i, top, SH, OH, H);
    for (let j = 0; j < FW; j++) {
      const [owLo, owHi] = span(j, left, SW, OW, W);
      const wBase = (i * FW + j) * C * M;
      for (let n = 0; n < N; n++) {
        for (let oh = ohLo; oh < ohHi; oh++) {
          const h = oh * SH + i - top;
          for (let ow = owLo; ow < owHi; ow++) {
            const x0 = ((n * H + h) * W + (ow * SW + j - left)) * C;
            const y0 = ((n * OH + oh) * OW + ow) * CO;
            if (M === 1) {
              for (let c = 0; c < C; c++) dw[wBase + c] += xv[x0 + c]! * g[y0 + c]!;
              continue;
            }
            for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) dw[wBase + c * M + m] += xv[x0 + c]! * g[y0 + c * M + m]!;
          }
        }
      }
    }
  }
  return out;
};

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: backpropInput,
};

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: backpropFilter,
};
