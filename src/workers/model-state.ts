/**
 * A device's copy of the model's non-trainable variables (BatchNormalization's moving statistics,
 * Normalization's adapted mean and variance) and the blocking all-reduce that keeps batch statistics
 * global. Every device holds the whole state (replicated) and applies the same update each step: the
 * statistics it is computed from are all-reduced, so the devices agree bit for bit. Checkpoints store
 * it under `state/<path>`, saved by the first device and loaded by every device.
 */
import type { Collectives } from '../core/collectives/types';
import { initState, type Model, type ParamValue } from '../core/models/index';
import type { ShardRecord, VariableLayout } from '../shared/worker-protocol';
import { sharedFloat32 } from './transport/shared-arrays';

export class ModelState {
  private readonly values: Map<string, Float32Array>;

  constructor(
    private readonly model: Model,
    seed: number,
  ) {
    this.values = initState(model, seed);
  }

  get size(): number {
    return this.values.size;
  }

  /** The forward pass's values: the parameters' and the state's, in one map. */
  withState(params: Map<string, ParamValue>): Map<string, ParamValue> {
    if (this.values.size === 0) return params;
    const out = new Map(params);
    for (const [path, v] of this.values) out.set(path, v);
    return out;
  }

  /** A training step's new values (the same on every device). */
  apply(updates: Map<string, Float32Array> | undefined): void {
    for (const [path, v] of updates ?? []) {
      const current = this.values.get(path);
      if (!current || current.length !== v.length) throw new Error(`internal: state update ${path} does not fit`);
      current.set(v);
    }
  }

  layouts(): VariableLayout[] {
    return (this.model.state ?? []).map((s) => ({
      path: `state/${s.path}`,
      dtype: 'float32',
      globalShape: [...s.shape],
      specs: s.shape.map(() => 'unsharded'),
    }));
  }

  /** The whole state, from the first device (the others hold the same). */
  records(first: boolean): ShardRecord[] {
    if (!first) return [];
    return this.layouts().map((l) => ({
      ...l,
      slices: l.globalShape.map((size) => ({ start: 0, size })),
      data: Float32Array.from(this.values.get(l.path.slice('state/'.length))!),
    }));
  }

  load(take: (path: string, size: number) => Float32Array | Float64Array): void {
    for (const [path, v] of this.values) v.set(take(`state/${path}`, v.length));
  }
}

/**
 * The blocking all-reduce the forward and backward passes call for global batch statistics: through
 * the communication thread's waitSync (an in-thread ring cannot progress inside a synchronous pass),
 * or nothing on one device. `why` names what needs it for the error when it cannot be had.
 */
export function syncAllReduce(
  collectives: Collectives,
  devices: number,
  why: string,
): ((data: Float32Array) => void) | undefined {
  if (devices < 2) return undefined;
  const c = collectives as Collectives & { waitSync?: (op: Promise<unknown>) => void };
  if (typeof c.waitSync !== 'function')
    throw new Error(
      `${why} needs the communication thread to all-reduce batch statistics during the forward and backward passes on ${devices} devices; the run has it off ("commThread": "off", or DTRAIN_COMM_THREAD=0 when it was created): use "auto" or "on"`,
    );
  // Shared buffers, one per size (a layer's forward and backward sums differ), reused every step.
  const buffers = new Map<number, Float32Array>();
  return (data) => {
    let buffer = buffers.get(data.length);
    if (!buffer) buffers.set(data.length, (buffer = sharedFloat32(data.length)));
    buffer.set(data);
    c.waitSync!(c.allReduceSum(buffer));
    data.set(buffer);
  };
}
