/**
 * Saving a tensor for backward without a kernel call. tfjs's engine clones every tensor a gradient
 * saves (a matMul's operands, an Add's inputs, a custom gradient's `save`) through its `clone`: an
 * Identity kernel dispatch plus a tape node linking the clone to its source, ~90 a Transformer step
 * (docs/keras-models.md, speed section). On wasm and cpu that Identity only shares the buffer under a
 * reference count, so the same clone can be made directly: a new tensor on the same data, counted
 * once more. The tape node only matters when the backward pass is itself differentiated (a gradient
 * taken inside another gradient's function, gradient depth > 1): there the stock clone stays.
 */
import * as tf from '@tensorflow/tfjs-core';

interface TensorRecord {
  backend: tf.KernelBackend;
}

/** The parts of tfjs's engine the shared clone uses (internal to tfjs; stable across 4.x). */
interface EngineInternals {
  clone(x: tf.Tensor): tf.Tensor;
  backend: tf.KernelBackend;
  backendName: string;
  state: { gradientDepth: number; tensorInfo: WeakMap<object, TensorRecord> };
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: tf.KernelBackend): tf.Tensor;
}

/** Backends whose Identity is exactly "share the buffer, count it once more" (and kernels never write inputs). */
const SHARING_BACKENDS = new Set(['wasm', 'cpu']);
const SHARED_DTYPES = new Set<string>(['float32', 'int32', 'bool']);

let stockClone: EngineInternals['clone'] | null = null;

function sharedClone(this: EngineInternals, x: tf.Tensor): tf.Tensor {
  const record = this.state.tensorInfo.get(x.dataId);
  const shareable =
    this.state.gradientDepth <= 1 &&
    SHARED_DTYPES.has(x.dtype) &&
    SHARING_BACKENDS.has(this.backendName) &&
    record !== undefined &&
    record.backend === this.backend;
  if (!shareable) return stockClone!.call(this, x);
  (record.backend as tf.KernelBackend & { incRef(dataId: object): void }).incRef(x.dataId);
  return this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype }, record.backend);
}

/** Makes the engine save tensors for backward by sharing their buffers (idempotent). */
export function shareSavedTensors(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (stockClone !== null) return;
  stockClone = engine.clone;
  engine.clone = sharedClone;
}

/** Restores tfjs's own clone (benchmarks and tests compare both). */
export function unshareSavedTensors(): void {
  if (stockClone === null) return;
  (tf.engine() as unknown as EngineInternals).clone = stockClone;
  stockClone = null;
}

export const savedTensorsShared = (): boolean => stockClone !== null;
