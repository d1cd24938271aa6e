/**
 * Identity for wasm without a copy. The engine clones every tensor a gradient saves (the inputs of Add,
 * Relu, Conv2D…, the output of MaxPool) through Identity, and stock wasm copies each one: ~14 ms of a
 * CNN step at batch 256. Tensors are immutable in tfjs, so the clone can share the buffer under a
 * reference count, as Reshape on wasm and Identity on the cpu backend already do.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { stockKernel, type WasmBackend } from './wasm-ops';

const identity: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  // Strings live outside the heap; leave them to the stock kernel.
  if (x.dtype === 'string') return stockKernel('Identity').kernelFunc(args);
  (args.backend as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

export const identityConfig = (stockConfig: KernelConfig): KernelConfig => ({
  kernelName: 'Identity',
  backendName: 'wasm',
  setupFunc: stockConfig.setupFunc,
  disposeFunc: stockConfig.disposeFunc,
  kernelFunc: identity,
});
