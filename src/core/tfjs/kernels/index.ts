/**
 * Project kernels for the wasm backend: faster replacements for the stock kernels that dominate a
 * training step (transposed matMul — every matMul gradient —, Conv2DBackpropInput, MaxPoolGrad, Sum over
 * leading axes — every bias gradient, GatherV2 — every Embedding lookup, Slice/SplitV/Unpack — which
 * stock wasm runs on a copy of the whole input per piece) and the kernels stock wasm lacks (Conv2DBackpropFilter,
 * UnsortedSegmentSum, the depthwise convolution's two gradients). Registering replaces the stock entries in tfjs's kernel registry; unregistering
 * restores them (benchmarks compare both). Given a native BLAS (`options.native`), the matmul and
 * convolution kernels run on it instead; each falls back to the wasm kernel below for what it does not handle.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { biasAddConfig } from './bias-add';
import { biasReluConfig, biasReluGradConfig } from './bias-relu';
import { biasReluPoolConfig, biasReluPoolGradConfig } from './bias-relu-pool';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop';
import { dropoutMaskConfig } from './dropout-mask';
import { gatherConfig } from './gather';
import { nativeSoftmaxGradConfig } from './softmax-grad';
import { nativeHeadsMatMulConfig } from './heads-matmul';
import { nativeScaledSoftmaxConfig } from './scaled-softmax';
import { sliceConfig, splitVConfig, unpackConfig } from './slice';
import { identityConfig } from './identity';
import { layerNormConfig, layerNormGradConfig, nativeLayerNormConfig, nativeLayerNormGradConfig } from './layer-norm';
import { transposedMatMulConfig } from './matmul';
import { ColumnBuffer, type NativeGemm } from './native-gemm';
import { nativeMatMulConfig } from './native-matmul';
import { nativeConv2DBackpropFilterConfig, nativeConv2DBackpropInputConfig, nativeConv2DConfig } from './native-conv';
import { maxPoolConfig } from './max-pool';
import { maxPoolGradConfig } from './max-pool-grad';
import { reluGradConfig } from './relu-grad';
import { sumConfig } from './sum';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';
import { rememberStock } from './wasm-ops';

/** Stock kernels replaced by a faster project kernel (which may call the stock one). */
const WRAPPED: Record<string, (stockConfig: KernelConfig) => KernelConfig> = {
  BatchMatMul: transposedMatMulConfig,
  _FusedMatMul: transposedMatMulConfig,
  Conv2DBackpropInput: conv2dBackpropInputConfig,
  MaxPoolGrad: maxPoolGradConfig,
  Sum: sumConfig,
  Identity: identityConfig,
  Add: biasAddConfig,
  MaxPool: maxPoolConfig,
  GatherV2: gatherConfig,
  Slice: sliceConfig,
  SplitV: splitVConfig,
  Unpack: unpackConfig,
};
/** Kernels stock wasm does not have. */
const ADDED: KernelConfig[] = [
  conv2dBackpropFilterConfig,
  unsortedSegmentSumConfig,
  reluGradConfig,
  biasReluConfig,
  biasReluGradConfig,
  biasReluPoolConfig,
  biasReluPoolGradConfig,
  dropoutMaskConfig,
  depthwiseBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  layerNormConfig,
  layerNormGradConfig,
];

/** Native-BLAS kernels: each wraps the config registered without native BLAS (its fallback). */
const NATIVE: Record<string, (native: NativeGemm, fallback: KernelConfig, columns: ColumnBuffer) => KernelConfig> = {
  BatchMatMul: nativeMatMulConfig,
  _FusedMatMul: nativeMatMulConfig,
  Conv2D: nativeConv2DConfig,
  Conv2DBackpropInput: nativeConv2DBackpropInputConfig,
  Conv2DBackpropFilter: nativeConv2DBackpropFilterConfig,
  [layerNormConfig.kernelName]: nativeLayerNormConfig,
  [layerNormGradConfig.kernelName]: nativeLayerNormGradConfig,
};
/** Kernels that exist only with the native addon (null: this addon lacks it). */
const NATIVE_ONLY: ((native: NativeGemm) => KernelConfig | null)[] = [
  nativeSoftmaxGradConfig,
  nativeScaledSoftmaxConfig,
  nativeHeadsMatMulConfig,
];

export interface ProjectKernelOptions {
  /** A native BLAS (the Node side loads it); absent: the wasm kernels only. */
  native?: NativeGemm;
}

/** Kernel name → the stock config it replaced (undefined when there was none). */
const replaced = new Map<string, KernelConfig | undefined>();
/** The native BLAS the registered kernels use (null: none). */
let activeNative: NativeGemm | null = null;

function swap(config: KernelConfig): void {
  const previous = getKernel(config.kernelName, 'wasm');
  if (previous !== undefined) unregisterKernel(config.kernelName, 'wasm');
  replaced.set(config.kernelName, previous);
  registerKernel(config);
}

function stockConfig(name: string): KernelConfig {
  const config = getKernel(name, 'wasm');
  if (config === undefined)
    throw new Error(`project kernels: stock wasm kernel '${name}' not found (import @tensorflow/tfjs-backend-wasm first)`);
  rememberStock(name, config);
  return config;
}

/**
 * Registers the project kernels for 'wasm' (idempotent for the same options; other options replace
 * the registered set). Call after importing @tensorflow/tfjs-backend-wasm (which registers the stock
 * kernels). Returns the kernel names.
 */
export function registerProjectKernels(options: ProjectKernelOptions = {}): string[] {
  const native = options.native ?? null;
  if (replaced.size > 0) {
    if (native === activeNative) return [...replaced.keys()];
    unregisterProjectKernels();
  }
  const configs = new Map<string, KernelConfig>();
  for (const [name, make] of Object.entries(WRAPPED)) configs.set(name, make(stockConfig(name)));
  for (const config of ADDED) configs.set(config.kernelName, config);
  if (native !== null) {
    const columns = new ColumnBuffer(); // the convolutions' im2col scratch, this registration's own
    for (const [name, make] of Object.entries(NATIVE))
      configs.set(name, make(native, configs.get(name) ?? stockConfig(name), columns));
    for (const make of NATIVE_ONLY) {
      const config = make(native);
      if (config) configs.set(config.kernelName, config);
    }
  }
  for (const config of configs.values()) swap(config);
  activeNative = native;
  return [...replaced.keys()];
}

/** Restores the stock wasm kernels (and removes the added ones). */
export function unregisterProjectKernels(): void {
  for (const [name, previous] of replaced) {
    unregisterKernel(name, 'wasm');
    if (previous !== undefined) registerKernel(previous);
  }
  replaced.clear();
  activeNative = null;
}

export function projectKernelsRegistered(): boolean {
  return replaced.size > 0;
}

/** The native BLAS the registered wasm kernels run on, or null (none given, or not registered). */
export function activeNativeGemm(): NativeGemm | null {
  return activeNative;
}

/** True when the registered kernels run on a native BLAS. */
export function nativeKernelsRegistered(): boolean {
  return activeNative !== null;
}
