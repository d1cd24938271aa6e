/**
 * The parameters as one device holds them: its shard of each (a ShardedVariable, host or tensor
 * storage) and, for sharded layouts, the full value forward/backward needs, rebuilt by the all-gather.
 * With tensor storage the shards, the optimizer slots and the full values stay on the backend as
 * tf.Variables: forward/backward reads them without an upload, and only what crosses the ring (the
 * updated shards out, the gathered values in) goes through host memory.
 * Fully sharded (docs/architecture.md, "The memory model"), no full value is kept: a step gathers each
 * unit's values into fresh tensors when it needs them (fully-sharded/unit-params.ts).
 * With host storage, forward uploads the host arrays into fresh tensors every step. Never into a
 * tensor forward already read: tfjs treats tensors as immutable, and tfjs-wasm's matMul (XNNPACK)
 * packs a weight tensor once and keeps the packed copy, so values written into a live tensor's memory
 * were silently ignored (training read the first step's kernels; docs/architecture.md, "Tensors are
 * immutable").
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Layout } from '../core/dtensor/layout';
import type { ParamValue } from '../core/models/index';
import { ShardedVariable, type Storage } from '../core/variables/sharded-variable';
import type { VariableStorage } from '../shared/worker-protocol';
import { defaultContext, type ComputeContext } from '../core/context';

/** auto: tensor storage where the backend computes off the CPU (tensorflow), host storage elsewhere. */
export function resolveStorage(setting: VariableStorage, backend: string): Storage {
  if (setting === 'host' || setting === 'tensor') return setting;
  return backend === 'tensorflow' ? 'tensor' : 'host';
}

export interface ParamInit {
  path: string;
  shape: readonly number[];
  layout: Layout;
  /** The whole initial value (every device draws the same), or with `initialIsLocal` this device's shard of it. */
  initial: Float32Array;
  initialIsLocal?: boolean;
  /** True when this device's shard is the whole value (nothing to gather). */
  replicated: boolean;
}

interface Entry {
  path: string;
  variable: ShardedVariable;
  /** Host copy of the full value: the all-gather's destination (sharded layouts only). */
  full: Float32Array | null;
  /** Tensor storage, sharded layout: the full value on the backend, assigned a new tensor per gather. */
  fullTensor: tf.Variable | null;
  /** This device's shard is the whole value: nothing to gather. */
  replicated: boolean;
}

export class DeviceParams {
  private readonly entries: Entry[];

  /** `fullySharded`: keep no full values (each step gathers them per unit). */
  constructor(
    params: ParamInit[],
    deviceId: number,
    readonly storage: Storage,
    private readonly context: ComputeContext = defaultContext,
    readonly fullySharded = false,
  ) {
    this.entries = params.map((p) => {
      const variable = new ShardedVariable({
        name: p.path,
        globalShape: p.shape,
        layout: p.layout,
        deviceId,
        initialValue: p.initial,
        initialIsLocal: p.initialIsLocal,
        storage,
        heap: context.heap,
      });
      if (!p.replicated && p.initialIsLocal && !fullySharded)
        throw new Error(`internal: ${p.path} needs its whole initial value (gathered parameters)`);
      const full = p.replicated || fullySharded ? null : Float32Array.from(p.initial);
      const fullTensor =
        full && storage === 'tensor' ? tf.tidy(() => tf.variable(tf.tensor(full, [...p.shape], 'float32'), false)) : null;
      return { path: p.path, variable, full, fullTensor, replicated: p.replicated };
    });
  }

  /** Where forward reads the parameters from, for the worker's start-up line. */
  get note(): string {
    if (this.fullySharded) return 'fully sharded: each unit gathered into fresh tensors just before it computes';
    return this.storage === 'tensor' ? 'forward reads them as tf.Variables' : 'uploaded into fresh tensors every step';
  }

  /** Whether variable k's shard is its whole value (nothing to gather). */
  isReplicated(k: number): boolean {
    return this.entries[k]!.replicated;
  }

  shapeOf(k: number): readonly number[] {
    return this.entries[k]!.variable.globalShape;
  }

  /**
   * A replicated variable's value for a fully sharded step: its tf.Variable (tensor storage, not
   * `owned`), or its host shard uploaded into a fresh tensor (the caller disposes it).
   */
  replicatedTensor(k: number): { tensor: tf.Tensor; owned: boolean } {
    const v = this.entries[k]!.variable;
    if (v.storage === 'tensor') return { tensor: v.tensorVariable(), owned: false };
    const host = v.hostArray() as Float32Array;
    this.context.copies.count('upload', host.byteLength);
    // The cpu backend keeps the array it is given: a view of the heap would go stale if the heap grew.
    const values = tf.getBackend() === 'cpu' ? host.slice() : host;
    return { tensor: tf.tensor(values, [...v.globalShape], 'float32'), owned: true };
  }

  get variables(): ShardedVariable[] {
    return this.entries.map((e) => e.variable);
  }

  /**
   * What forward/backward reads: tf.Variables with tensor storage, host arrays (uploaded by forward)
   * with host storage. `awaitGathered(k)` given: sharded host values are deferred, and reading
   * variable k first calls it (which blocks until its all-gather bucket is unpacked into the host array).
   */
  forwardValues(awaitGathered?: (k: number) => void): Map<string, ParamValue> {
    return new Map(
      this.entries.map((e, k) => {
        if (!awaitGathered || e.variable.storage !== 'host' || !e.full) return [e.path, this.forwardValue(e)];
        const full = e.full;
        return [e.path, { deferred: true, take: () => (awaitGathered(k), full) }];
      }),
    );
  }

  private forwardValue(e: Entry): ParamValue {
    if (e.variable.storage === 'tensor') return e.fullTensor ?? e.variable.tensorVariable();
    return e.full ?? (e.variable.hostArray() as Float32Array);
  }

  /**
   * Variable k's updated shard, to send: a view of host storage (take it just before use: heap views go
   * stale when the heap grows), or the tensor's values read back.
   */
  shardOf(k: number): Float32Array {
    const v = this.entries[k]!.variable;
    if (v.storage === 'host') return v.hostArray() as Float32Array;
    const values = v.tensorVariable().dataSync() as Float32Array;
    this.context.copies.count('download', values.byteLength);
    return values;
  }

  /** Where the all-gather writes variable k's full value (null: replicated, nothing to gather). */
  gatherTarget(k: number): Float32Array | null {
    return this.entries[k]!.full;
  }

  /** After the all-gather: with tensor storage, the gathered full values go to the backend (one upload each). */
  gathered(): void {
    for (const e of this.entries) {
      if (!e.fullTensor) continue;
      const { fullTensor, full } = e;
      tf.tidy(() => fullTensor.assign(tf.tensor(full!, fullTensor.shape, 'float32')));
      this.context.copies.count('upload', full!.byteLength);
    }
  }
}
