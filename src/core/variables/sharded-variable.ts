import * as tf from '@tensorflow/tfjs-core';
import { type Layout } from '../dtensor/layout';
import { extractShard, localShape, shardSlices, type AxisSlice } from '../dtensor/shard';
import type { HostBuffer, HostHeap } from '../wasm/heap';
import { defaultContext } from '../context';
import { ValueError } from '../errors';

export type FloatDType = 'float32' | 'float64';
export type Storage = 'host' | 'tensor';
/** A variable's host values: float32, or float64 for float64 variables. */
export type FloatArray = Float32Array | Float64Array;

let nextUniqueId = 1;

export interface ShardedVariableOptions {
  /** Logical path, e.g. `dense.kernel`; checkpoints and layout maps key on it. */
  name: string;
  globalShape: readonly number[];
  layout: Layout;
  /** The mesh device this process (or simulated device) is. */
  deviceId: number;
  dtype?: FloatDType;
  /**
   * 'host': the shard lives in the fused kernel's heap (CPU, in place, float32 or float64).
   * 'tensor': the shard is a tf.Variable on the active tfjs backend (GPU with tfjs-node-gpu); float32 only.
   */
  storage?: Storage;
  /** Where host storage lives (default: the default context's heap); the fused kernels need state in one heap. */
  heap?: HostHeap;
  /** Either the whole global value (this device keeps its slice) or, with `initialIsLocal`, the shard. */
  initialValue?: ArrayLike<number>;
  initialIsLocal?: boolean;
  trainable?: boolean;
}

/**
 * A variable of global shape `globalShape` laid out over a mesh by `layout`, as seen from one device:
 * it holds only that device's shard. Replicated variables hold the whole value on every device.
 */
export class ShardedVariable {
  readonly uniqueId = nextUniqueId++;
  readonly name: string;
  readonly dtype: FloatDType;
  readonly globalShape: readonly number[];
  readonly layout: Layout;
  readonly deviceId: number;
  /** This device's slice of every axis. */
  readonly slices: readonly AxisSlice[];
  readonly localShape: readonly number[];
  /** Number of elements in the local shard. */
  readonly localSize: number;
  trainable: boolean;
  /** The heap host storage comes from; optimizer slots made like this variable use it too. */
  readonly heap: HostHeap;
  private host?: HostBuffer;
  private tensorVar?: tf.Variable;
  private ownsTensor = true;
  /** Set while computeGradients records a tape over this variable (see captureForGradients). */
  captured?: tf.Variable;

  constructor(options: ShardedVariableOptions, wrapped?: tf.Variable) {
    const { name, globalShape, layout, deviceId } = options;
    if (layout.rank !== globalShape.length) {
      throw new ValueError(
        `Variable ${name}: layout ${layout.toString()} has rank ${layout.rank} but the shape [${globalShape.join(', ')}] has rank ${globalShape.length}.`,
      );
    }
    this.name = name;
    this.dtype = options.dtype ?? 'float32';
    this.globalShape = [...globalShape];
    this.layout = layout;
    this.deviceId = deviceId;
    this.slices = shardSlices(globalShape, layout, deviceId);
    this.localShape = localShape(globalShape, layout, deviceId);
    this.localSize = this.localShape.reduce((a, b) => a * b, 1);
    this.trainable = options.trainable ?? true;
    this.heap = options.heap ?? defaultContext.heap;
    const storage = options.storage ?? 'host';
    if (wrapped) {
      this.tensorVar = wrapped;
      this.ownsTensor = false;
      return;
    }
    const local = this.localInitial(options);
    if (storage === 'tensor') {
      if (this.dtype !== 'float32')
        throw new ValueError(`Variable ${name}: tfjs tensors are float32; float64 needs host storage.`);
      // tidy: the variable holds its own reference; the upload it was made from is freed.
      this.tensorVar = tf.tidy(() =>
        tf.variable(tf.tensor(local ?? new Float32Array(this.localSize), [...this.localShape], 'float32'), false),
      );
    } else {
      this.host = this.heap.allocHost(this.dtype, this.localSize);
      if (local) this.host.array().set(local);
    }
  }

  /** A replicated view of a user's tf.Variable (its tensor stays where it is). */
  static wrap(variable: tf.Variable, layout: Layout, deviceId: number): ShardedVariable {
    return new ShardedVariable(
      {
        name: variable.name,
        globalShape: variable.shape,
        layout,
        deviceId,
        dtype: 'float32',
        storage: 'tensor',
        trainable: variable.trainable,
      },
      variable,
    );
  }

  get storage(): Storage {
    return this.host ? 'host' : 'tensor';
  }

  /** True when this wraps a tf.Variable the caller owns. */
  isWrapped(variable: tf.Variable): boolean {
    return this.tensorVar === variable;
  }

  /** Fresh view of the host shard (valid until the next heap allocation). */
  hostArray(): FloatArray {
    if (!this.host) throw new Error(`Variable ${this.name} has tensor storage, not host storage.`);
    return this.host.array();
  }

  hostBuffer(): HostBuffer {
    if (!this.host) throw new Error(`Variable ${this.name} has tensor storage, not host storage.`);
    return this.host;
  }

  tensorVariable(): tf.Variable {
    if (!this.tensorVar) throw new Error(`Variable ${this.name} has host storage, not tensor storage.`);
    return this.tensorVar;
  }

  /** The local shard as a new tensor (float32; float64 values are rounded). Inside computeGradients, the taped variable. */
  read(): tf.Tensor {
    if (this.captured) return this.captured;
    if (this.tensorVar) return this.tensorVar.clone();
    return tf.tensor(Float32Array.from(this.host!.array()), [...this.localShape], 'float32');
  }

  /** A copy of the local shard's values. */
  readLocal(): FloatArray {
    if (this.host) return this.host.array().slice();
    return (this.tensorVar!.dataSync() as Float32Array).slice();
  }

  assignLocal(values: ArrayLike<number> | tf.Tensor): void {
    const n = values instanceof tf.Tensor ? values.size : values.length;
    if (n !== this.localSize) {
      throw new ValueError(`Variable ${this.name}: cannot assign ${n} values to a shard of ${this.localSize} elements.`);
    }
    if (this.host) {
      this.host.array().set(values instanceof tf.Tensor ? (values.dataSync() as Float32Array) : values);
    } else if (values instanceof tf.Tensor) {
      tf.tidy(() => this.tensorVar!.assign(values.reshape([...this.localShape])));
    } else {
      tf.tidy(() => this.tensorVar!.assign(tf.tensor(Float32Array.from(values), [...this.localShape], 'float32')));
    }
  }

  /** Frees the host buffer or the owned tf.Variable (a wrapped tf.Variable belongs to its owner and is left alone). */
  dispose(): void {
    this.host?.free();
    this.host = undefined;
    if (this.tensorVar && this.ownsTensor) this.tensorVar.dispose();
  }

  private localInitial(options: ShardedVariableOptions): FloatArray | undefined {
    const init = options.initialValue;
    if (!init) return undefined;
    const ctor = this.dtype === 'float64' ? Float64Array : Float32Array;
    const globalSize = this.globalShape.reduce((a, b) => a * b, 1);
    if (options.initialIsLocal) {
      if (init.length !== this.localSize) {
        throw new ValueError(
          `Variable ${this.name}: initial shard has ${init.length} elements, the local shard needs ${this.localSize}.`,
        );
      }
      return ctor.from(init);
    }
    if (init.length !== globalSize) {
      throw new ValueError(
        `Variable ${this.name}: initial value has ${init.length} elements, shape [${this.globalShape.join(', ')}] needs ${globalSize}.`,
      );
    }
    return extractShard(ctor.from(init), this.globalShape, this.slices) as FloatArray;
  }
}
