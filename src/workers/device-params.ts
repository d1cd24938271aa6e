/**
 * The parameters as one device holds them: its shard of each (a ShardedVariable, host or tensor
 * storage) and, for sharded layouts, the full value forward/backward needs, rebuilt by the all-gather.
 * With tensor storage the shards, the optimizer slots and the full values stay on the backend as
 * tf.Variables: forward/backward reads them without an upload, and only what crosses the ring (the
 * updated shards out, the gathered values in) goes through host memory.
 * With host storage, parameters are resident too where the backend allows it: the all-gather writes
 * a sharded parameter's full value straight into a tensor's memory (wasm or cpu backend), and a
 * whole (replicated) shard in the backend's own heap (core/tfjs/shared-heap.ts) is read by forward
 * where the optimizer updates it. Otherwise forward uploads host arrays each step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Layout } from '../core/dtensor/layout';
import type { ParamValue } from '../core/models/index';
import { memoryOf, writableInPlace } from '../core/models/deferred-params';
import { residentTensor } from '../core/tfjs/shared-heap';
import { ShardedVariable, type Storage } from '../core/variables/sharded-variable';
import type { VariableStorage } from '../shared/worker-protocol';
import { countCopy } from '../core/metering/copy-meter';

/** auto: tensor storage where the backend computes off the CPU (tensorflow), host storage elsewhere. */
export function resolveStorage(setting: VariableStorage, backend: string): Storage {
  if (setting === 'host' || setting === 'tensor') return setting;
  return backend === 'tensorflow' ? 'tensor' : 'host';
}

export interface ParamInit {
  path: string;
  shape: readonly number[];
  layout: Layout;
  /** The whole initial value (every device draws the same). */
  initial: Float32Array;
  /** True when this device's shard is the whole value (nothing to gather). */
  replicated: boolean;
}

interface Entry {
  path: string;
  variable: ShardedVariable;
  /** Host copy of the full value: the all-gather's destination (sharded layouts, unless resident). */
  full: Float32Array | null;
  /** Tensor storage, sharded layout: the full value resident on the backend. */
  fullTensor: tf.Variable | null;
  /**
   * Host storage: what forward reads without an upload. Sharded: the full value, which the
   * all-gather writes in place; replicated: the shard's own storage in the shared backend heap.
   */
  resident: tf.Tensor | null;
  /** This device's shard is the whole value: nothing to gather. */
  replicated: boolean;
}

export class DeviceParams {
  private readonly entries: Entry[];

  /** `resident` false: host storage keeps host arrays, uploaded every step (the old path, for comparison). */
  constructor(params: ParamInit[], deviceId: number, readonly storage: Storage, resident = true) {
    const inPlace = resident && storage === 'host' && writableInPlace();
    this.entries = params.map((p) => {
      const variable = new ShardedVariable({ name: p.path, globalShape: p.shape, layout: p.layout, deviceId, initialValue: p.initial, storage });
      let resident: tf.Tensor | null = null;
      if (inPlace) resident = p.replicated ? residentTensor(variable.hostBuffer(), p.shape) : tf.tensor(p.initial, [...p.shape], 'float32');
      const full = p.replicated || resident ? null : Float32Array.from(p.initial);
      const fullTensor = full && storage === 'tensor' ? tf.tidy(() => tf.variable(tf.tensor(full, [...p.shape], 'float32'), false)) : null;
      return { path: p.path, variable, full, fullTensor, resident, replicated: p.replicated };
    });
  }

  get variables(): ShardedVariable[] {
    return this.entries.map((e) => e.variable);
  }

  /**
   * What forward/backward reads: tf.Variables with tensor storage; with host storage the resident
   * tensors, or host arrays (uploaded by forward) where there are none. `awaitGathered(k)` given:
   * sharded host values are deferred, and reading variable k first calls it (which blocks until its
   * all-gather bucket is unpacked into the resident tensor or the host array).
   */
  forwardValues(awaitGathered?: (k: number) => void): Map<string, ParamValue> {
    return new Map(this.entries.map((e, k) => {
      if (!awaitGathered || e.variable.storage !== 'host' || e.replicated) return [e.path, this.forwardValue(e)];
      return [e.path, { deferred: true, take: () => (awaitGathered(k), this.gatherTarget(k)!), resident: e.resident ?? undefined }];
    }));
  }

  private forwardValue(e: Entry): ParamValue {
    if (e.variable.storage === 'tensor') return e.fullTensor ?? e.variable.tensorVariable();
    return e.resident ?? e.full ?? (e.variable.hostArray() as Float32Array);
  }

  /**
   * Variable k's updated shard, to send: a view of host storage (take it just before use: heap views go
   * stale when the heap grows), or the tensor's values read back.
   */
  shardOf(k: number): Float32Array {
    const v = this.entries[k]!.variable;
    if (v.storage === 'host') return v.hostArray() as Float32Array;
    const values = v.tensorVariable().dataSync() as Float32Array;
    countCopy('download', values.byteLength);
    return values;
  }

  /**
   * Where the all-gather writes variable k's full value (null: replicated, nothing to gather): the
   * host copy, or the resident tensor's memory (a fresh view: take it right before writing).
   */
  gatherTarget(k: number): Float32Array | null {
    const e = this.entries[k]!;
    if (e.replicated) return null;
    return e.full ?? memoryOf(e.resident!);
  }

  /** After the all-gather: with tensor storage, the gathered full values go to the backend (one upload each). */
  gathered(): void {
    for (const e of this.entries) {
      if (!e.fullTensor) continue;
      const { fullTensor, full } = e;
      tf.tidy(() => fullTensor.assign(tf.tensor(full!, fullTensor.shape, 'float32')));
      countCopy('upload', full!.byteLength);
    }
  }
}
