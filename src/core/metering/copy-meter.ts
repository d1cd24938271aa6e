/**
 * Counts the bytes a training step copies on the host, by kind, so a benchmark can show that the
 * copies it removes are really gone. One process-wide meter (like tf.memory()): the code that copies
 * adds to it, a worker reads the totals. Adding is a couple of integer operations, cheap enough for
 * every step.
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

const totals: CopyTotals = { download: 0, upload: 0, pack: 0, shard: 0, kernel: 0 };

export function countCopy(kind: CopyKind, bytes: number): void {
  totals[kind] += bytes;
}

/** The bytes copied so far in this process, by kind (a snapshot). */
export function copyTotals(): CopyTotals {
  return { ...totals };
}

/** `after − before`, by kind. */
export function copiesBetween(before: CopyTotals, after: CopyTotals): CopyTotals {
  const out = { ...after };
  for (const k of COPY_KINDS) out[k] -= before[k];
  return out;
}
