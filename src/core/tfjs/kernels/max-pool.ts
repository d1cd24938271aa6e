/**
 * MaxPool for wasm when the windows tile the input (the usual 2×2 pool, channels in fours): the
 * unrolled SIMD loop of max-pool-tile.ts (stock XNNPACK: ~5 ms for 256×28×28×32; this about half).
 * Its max follows tfjs-cpu where stock wasm differs (a NaN in a window), and is the same value
 * everywhere else. Other geometries stay with the stock kernel.
 */
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { tileFuncs, tiles } from './max-pool-tile';
import { heapAddress, simdFuncs } from './simd';
import { stockKernel, type WasmBackend } from './wasm-ops';

const maxPool: KernelFunc = (args) => {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  if (x.dtype !== 'float32' || x.shape.length !== 4) return stockKernel('MaxPool').kernelFunc(args);
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: N, inWidth: W, inChannels: C, filterHeight: FH, filterWidth: FW, outHeight: OH, outWidth: OW } = info;
  const tile = tiles(info) && N * OH * OW > 0 ? tileFuncs((key, make) => simdFuncs(backend, key, make), FH, FW, W, C) : null;
  if (tile === null) return stockKernel('MaxPool').kernelFunc(args);
  const y = backend.makeOutput(info.outShape, 'float32');
  tile.pool_tile_max(heapAddress(backend, x.dataId), heapAddress(backend, y.dataId), 0, N * OH, OW);
  return y;
};

export const maxPoolConfig = (stockConfig: KernelConfig): KernelConfig => ({
  kernelName: 'MaxPool',
  backendName: 'wasm',
  setupFunc: stockConfig.setupFunc,
  disposeFunc: stockConfig.disposeFunc,
  kernelFunc: maxPool,
});
