/**
 * Packed gradient buffers shared by reduce buckets: a fully sharded step's buckets (one per unit) take
 * one of two buffers sized for the largest bucket, instead of one each, so a worker holds about two
 * units' gradients, not the model's (docs/architecture.md, "The memory model"). A bucket takes a buffer
 * before its gradients are packed; the buffer comes back once the bucket's reduce-scatter, which reads
 * it, has finished.
 */
import { sharedFloat32 } from './transport/shared-arrays';

/** What the pool needs of a bucket: its buffer, and the reduce-scatter that reads it. */
export interface PooledBucket {
  packed: Float32Array | null;
  op: Promise<unknown> | null;
}

export class PackedPool {
  private readonly free: Float32Array[];
  /** Buckets whose reduce-scatters hold a buffer, oldest first. */
  private readonly holding: PooledBucket[] = [];
  readonly bytes: number;

  constructor(count: number, elements: number) {
    this.free = Array.from({ length: count }, () => sharedFloat32(elements));
    this.bytes = count * 4 * elements;
  }

  /** Gives `b` a buffer, waiting for the oldest reduce-scatter holding one to finish if none is free. */
  async take(b: PooledBucket): Promise<void> {
    while (!b.packed) {
      const buffer = this.free.pop();
      if (buffer) b.packed = buffer;
      else await this.release(this.holding.shift() ?? fail());
    }
  }

  /** `b`'s reduce-scatter has started: its buffer returns when it finishes (take() or drain()). */
  started(b: PooledBucket): void {
    this.holding.push(b);
  }

  /** Every buffer back (the step's reduce-scatters are all finished). */
  async drain(): Promise<void> {
    while (this.holding.length > 0) await this.release(this.holding.shift()!);
  }

  private async release(b: PooledBucket): Promise<void> {
    await b.op;
    this.free.push(b.packed!);
    b.packed = null;
  }
}

function fail(): never {
  throw new Error('internal: a pooled bucket needs a buffer and no reduce-scatter holds one');
}
