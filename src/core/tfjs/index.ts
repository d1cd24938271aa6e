export { selectBackend, type BackendName, type BackendSelection, type SelectBackendOptions } from './backend';
export {
  registerProjectKernels,
  unregisterProjectKernels,
  projectKernelsRegistered,
  nativeKernelsRegistered,
  type ProjectKernelOptions,
} from './kernels';
export type { NativeGemm } from './kernels/native-gemm';
export { shareSavedTensors, unshareSavedTensors, savedTensorsShared } from './saved-tensors';
