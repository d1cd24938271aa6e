/**
 * Counts the bytes a training step copies on the host, by kind, so a benchmark can show that the
 * copies it removes are really gone. One meter per compute context (core/context.ts): the code that
 * copies adds to its context's meter, a worker reads the totals of its own. Adding is a couple of
 * integer operations, cheap enough for every step.
 */
export const COPY_KINDS = [
  /** Gradients read back from the tfjs backend into host arrays. */
  'download',
  /** Host arrays uploaded into tfjs tensors: parameters forward/backward reads, and the batch. */
  'upload',
  /** Gradients and shards packed into (or unpacked from) the exchange's contiguous send/receive buffers. */
  'pack',
  /** Parameter shards copied out of the optimizer's storage before they are sent. */
  'shard',
  /** Gradients copied into the fused optimizer kernel's heap (it only reads its own memory). */
  'kernel',
] as const;
export type CopyKind = (typeof COPY_KINDS)[number];
export type CopyTotals = Record<CopyKind, number>;

export class CopyMeter {
  private readonly counted: CopyTotals = { download: 0, upload: 0, pack: 0, shard: 0, kernel: 0 };

  count(kind: CopyKind, bytes: number): void {
    this.counted[kind] += bytes;
  }

  /** The bytes counted so far, by kind (a snapshot). */
  totals(): CopyTotals {
    return { ...this.counted };
  }
}

/** `after − before`, by kind. */
export function copiesBetween(before: CopyTotals, after: CopyTotals): CopyTotals {
  const out = { ...after };
  for (const k of COPY_KINDS) out[k] -= before[k];
  return out;
}
