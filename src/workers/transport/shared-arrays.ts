// Typed arrays on SharedArrayBuffers: posted to the communication thread they share memory (no copy).
// Other arrays (ordinary buffers, views of a wasm heap) go through staging copies taken from a pool.
import type { CopyMeter } from '../../core/metering/copy-meter';
import { defaultContext } from '../../core/context';
import type { ReduceArray } from '../../core/collectives/types';

/** A Float32Array on a SharedArrayBuffer: the communication thread reads and writes it in place. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

/** A Float64Array on a SharedArrayBuffer: the communication thread reads and writes it in place. */
export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

export function isShared(a: ReduceArray): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/** How many free buffers of one size the pool keeps (a step reuses the same few sizes). */
const KEEP_PER_SIZE = 4;

/**
 * Staging buffers for arrays that are not shared, reused between operations: first touches of fresh
 * memory cost page faults comparable to the transfer itself. The staging copies are counted on `copies`.
 */
export class StagingPool {
  private readonly free = new Map<number, SharedArrayBuffer[]>();

  constructor(readonly copies: CopyMeter = defaultContext.copies) {}

  /** A shared array of `like`'s type and `length` elements (contents unspecified). */
  take(like: ReduceArray, length: number): ReduceArray {
    const bytes = length * like.BYTES_PER_ELEMENT;
    const sab = this.free.get(bytes)?.pop() ?? new SharedArrayBuffer(bytes);
    return like instanceof Float64Array ? new Float64Array(sab, 0, length) : new Float32Array(sab, 0, length);
  }

  give(staged: ReduceArray): void {
    const sab = staged.buffer as SharedArrayBuffer;
    const list = this.free.get(sab.byteLength) ?? [];
    if (list.length < KEEP_PER_SIZE) list.push(sab);
    this.free.set(sab.byteLength, list);
  }

  clear(): void {
    this.free.clear();
  }
}

/**
 * One array argument of an operation as the thread sees it: the caller's own array when it is shared,
 * else a staging copy filled before posting (inputs) and copied back when the operation succeeds (outputs).
 */
export class Binding {
  readonly shared: ReduceArray;
  private readonly staged: boolean;

  constructor(
    readonly caller: ReduceArray,
    private readonly input: boolean,
    private readonly output: boolean,
    private readonly pool: StagingPool,
  ) {
    this.staged = !isShared(caller);
    this.shared = this.staged ? pool.take(caller, caller.length) : caller;
  }

  /** An input that must be copied when the operation is posted (so it must not overtake earlier ones). */
  get copiesIn(): boolean {
    return this.staged && this.input;
  }

  beforePost(): void {
    if (!this.copiesIn) return;
    this.shared.set(this.caller);
    this.pool.copies.count('pack', this.caller.byteLength);
  }

  /** After the thread finished: copy results back (on success) and return the staging buffer. */
  after(ok: boolean): void {
    if (!this.staged) return;
    if (ok && this.output) (this.caller.set(this.shared), this.pool.copies.count('pack', this.caller.byteLength));
    this.pool.give(this.shared);
  }
}
