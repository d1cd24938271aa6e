/**
 * MaxPoolGrad for wasm, one pass over the wasm heap: SIMD over channels when they come in fours (see
 * max-pool-grad-simd.ts; measured on 256×28×28×32, 2×2 pool: stock ~130 ms, the JS loop ~50 ms, SIMD
 * a few ms) when windows do not overlap, else a JS loop. Each window's gradient goes to its first
 * maximal input (row-major within the window, strict '>'), and a dx sums its windows in row-major order
 * from +0, as tfjs-cpu does.
 */
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { maxPoolGradModule } from './max-pool-grad-simd';
import { tileFuncs, tiles } from './max-pool-tile';
import { heapAddress, simdFuncs, type SimdFuncs } from './simd';
import { stockKernel, type WasmBackend } from './wasm-ops';

type PoolInfo = backend_util.Conv2DInfo;

/** The JS loop; sums in float64 and rounds once, as tfjs-cpu does (overlapping windows add up). */
function poolBackprop(x: Float32Array, dy: Float32Array, dx: Float32Array, info: PoolInfo): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const { top, left } = info.padInfo;
  const acc = new Float64Array(dx.length);
  let g = 0; // index into dy, which is laid out [n, oh, ow, ch] like the loops
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const r0 = Math.max(0, oh * SH - top);
      const r1 = Math.min(H, oh * SH - top + FH);
      for (let ow = 0; ow < OW; ow++) {
        const c0 = Math.max(0, ow * SW - left);
        const c1 = Math.min(W, ow * SW - left + FW);
        for (let ch = 0; ch < C; ch++, g++) {
          let best = -Infinity;
          let where = -1;
          for (let r = r0; r < r1; r++) {
            let p = ((n * H + r) * W + c0) * C + ch;
            for (let c = c0; c < c1; c++, p += C) {
              const v = x[p];
              if (v > best) {
                best = v;
                where = p;
              }
            }
          }
          if (where >= 0) acc[where] += dy[g];
        }
      }
    }
  }
  dx.set(acc);
}

function poolBackpropSimd(
  simd: SimdFuncs,
  backend: WasmBackend,
  input: TensorInfo,
  dy: TensorInfo,
  dx: TensorInfo,
  info: PoolInfo,
): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const { top, left } = info.padInfo;
  const exact = tiles(info);
  const [x0, dy0, dx0] = [input, dy, dx].map((t) => heapAddress(backend, t.dataId));
  const pix = C * 4;
  const tile = exact ? tileFuncs((key, make) => simdFuncs(backend, key, make), FH, FW, W, C) : null;
  if (tile !== null) return tile.pool_tile_grad(x0, dx0, dy0, N * OH, OW);
  if (!exact) backend.typedArrayFromHeap(dx).fill(0);
  const row = exact ? simd.pool_row_overwrite : simd.pool_row_accumulate;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const r0 = Math.max(0, oh * SH - top);
      const r1 = Math.min(H, oh * SH - top + FH);
      const at = (n * H + r0) * W * pix;
      row(x0 + at, dx0 + at, dy0 + (n * OH + oh) * OW * pix, Math.max(0, r1 - r0), OW, W, pix, SW, FW, left);
    }
  }
}

const maxPoolGrad: KernelFunc = (args) => {
  const backend = args.backend as WasmBackend;
  const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  if (input.dtype !== 'float32') return stockKernel('MaxPoolGrad').kernelFunc(args);
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  // SIMD only where windows do not overlap: each dx then gets at most one term, so float32 sums are exact.
  const disjoint = info.strideHeight >= info.filterHeight && info.strideWidth >= info.filterWidth;
  const simd = disjoint && info.inChannels % 4 === 0 ? simdFuncs(backend, 'max-pool-grad', maxPoolGradModule) : null;
  if (simd !== null) {
    poolBackpropSimd(simd, backend, input, dy, dx, info);
    return dx;
  }
  // Views after the allocation (memory growth detaches older ones).
  const views = [input, dy, dx].map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  poolBackprop(views[0], views[1], views[2], info);
  return dx;
};

export const maxPoolGradConfig = (stockConfig: KernelConfig): KernelConfig => ({
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  setupFunc: stockConfig.setupFunc,
  disposeFunc: stockConfig.disposeFunc,
  kernelFunc: maxPoolGrad,
});
