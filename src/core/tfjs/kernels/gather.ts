/**
 * GatherV2 for wasm along axis 0 (an Embedding lookup): whole rows copied with one typed-array copy
 * each. The stock wasm kernel computes every element's source address on its own, which made an
 * Embedding(2000, 64) lookup of a 32×64 batch take ~4 ms, as long as the rest of a small
 * Transformer's forward. Other axes, batch dims and dtypes go to the stock kernel.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { sizeOf, type WasmBackend } from './wasm-ops';

interface GatherAttrs {
  axis: number;
  batchDims: number;
}

export function gatherConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const backend = args.backend as WasmBackend;
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as GatherAttrs;
    const rows = x.shape[0] ?? 0;
    const rowLength = sizeOf(x.shape.slice(1));
    const plain = (axis === 0 || axis === -x.shape.length) && batchDims === 0 && x.shape.length >= 1;
    if (!plain || (x.dtype !== 'float32' && x.dtype !== 'int32') || rows * rowLength === 0) return stock.kernelFunc(args);
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    // Views after the allocation (memory growth detaches older ones).
    const xv = backend.typedArrayFromHeap(x);
    const ids = backend.typedArrayFromHeap(indices);
    const ov = backend.typedArrayFromHeap(out);
    for (let i = 0; i < ids.length; i++) {
      const row = ids[i]!;
      // The stock kernel's check and message: an index outside the table is an error, never a silent zero.
      if (!(row >= 0 && row < rows)) {
        backend.disposeData(out.dataId);
        throw new Error(`GatherV2: the index value ${row} is not in [0, ${rows - 1}]`);
      }
      ov.set(xv.subarray(row * rowLength, (row + 1) * rowLength), i * rowLength);
    }
    return out;
  };
  return { kernelName: 'GatherV2', backendName: 'wasm', setupFunc: stock.setupFunc, disposeFunc: stock.disposeFunc, kernelFunc };
}
