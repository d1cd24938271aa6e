/**
 * Float32Arrays the whole-sequence kernels reuse from one step to the next. A layer's forward keeps
 * several megabytes for its backward (the states, the gates); allocating them fresh each step made V8
 * collect garbage for the external memory every few steps. take(n) hands out a free buffer of exactly
 * n floats (contents unspecified: the kernels overwrite what they read) or a new one; give() returns
 * buffers once nothing reads them. A forward without a backward never gives its buffers back: they are
 * garbage then, as before.
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** At most this many free buffers per size: a model's recurrent layers' worth. */
  constructor(private readonly perSize = 16) {}

  take(n: number): Float32Array {
    return this.free.get(n)?.pop() ?? new Float32Array(n);
  }

  give(...buffers: (Float32Array | null)[]): void {
    for (const b of buffers) {
      if (b === null) continue;
      const list = this.free.get(b.length) ?? [];
      if (list.length < this.perSize) list.push(b);
      this.free.set(b.length, list);
    }
  }
}
