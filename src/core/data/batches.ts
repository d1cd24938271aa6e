/**
 * The seeded batch order. Every function is a pure function of its arguments: the global batch of a
 * step depends only on (dataset size, global batch size, seed, step) — never on the device count —
 * so an N-device run sees the same data as a 1-device run, and resuming at step k replays exactly
 * the batches an uninterrupted run would have seen.
 */
import { Rng, checkSeed } from '../random/stream';
import { DatasetError, featureSize, targetSize, type Dataset } from './types';

export interface BatchOptions {
  /** Drop the last, smaller batch of each epoch (default true, so every step has the same size). */
  dropRemainder?: boolean;
  /**
   * false: file order, as Keras's fit(shuffle=False) — step t reads rows t·B … t·B+B−1 (mod n),
   * wrapping around the end of the data. Default true: the seeded per-epoch shuffle.
   */
  shuffle?: boolean;
}

/** Stream id mixed into the seed so the data order is independent of other seeded streams. */
const ORDER_STREAM = 0x0da7a;

/** A seeded Fisher–Yates permutation of 0..numExamples-1, a fresh one per epoch. */
export function epochPermutation(numExamples: number, seed: number, epoch: number): Uint32Array {
  checkCount(numExamples, 'numExamples');
  checkSeed(seed);
  checkIndex(epoch, 'epoch');
  const perm = new Uint32Array(numExamples);
  for (let i = 0; i < numExamples; i++) perm[i] = i;
  return new Rng(ORDER_STREAM, seed, epoch).shuffle(perm);
}

/** Steps in one epoch: floor(n / B) with dropRemainder, else ceil(n / B). */
export function stepsPerEpoch(numExamples: number, globalBatchSize: number, options: BatchOptions = {}): number {
  checkCount(numExamples, 'numExamples');
  checkPositive(globalBatchSize, 'globalBatchSize');
  const dropRemainder = options.dropRemainder ?? true;
  const steps = dropRemainder ? Math.floor(numExamples / globalBatchSize) : Math.ceil(numExamples / globalBatchSize);
  if (steps === 0) {
    throw new DatasetError(
      `global batch size ${globalBatchSize} is larger than the dataset (${numExamples} examples)${dropRemainder ? ' with dropRemainder' : ''}`,
    );
  }
  return steps;
}

/** Which epoch a 0-based global step falls in, and its position within that epoch. */
export function stepPosition(
  numExamples: number,
  globalBatchSize: number,
  step: number,
  options: BatchOptions = {},
): { epoch: number; stepInEpoch: number } {
  checkIndex(step, 'step');
  const spe = stepsPerEpoch(numExamples, globalBatchSize, options);
  return { epoch: Math.floor(step / spe), stepInEpoch: step % spe };
}

// The permutation of the last epoch asked for: consecutive steps reuse it (O(B) per step, not O(n)).
let cache: { n: number; seed: number; epoch: number; perm: Uint32Array } | null = null;

function cachedPermutation(n: number, seed: number, epoch: number): Uint32Array {
  if (cache === null || cache.n !== n || cache.seed !== seed || cache.epoch !== epoch) {
    cache = { n, seed, epoch, perm: epochPermutation(n, seed, epoch) };
  }
  return cache.perm;
}

/**
 * Example indices of the global batch at a 0-based step (a fresh array the caller may keep).
 * With dropRemainder false, the last batch of an epoch is smaller.
 */
export function globalBatchIndices(
  numExamples: number,
  globalBatchSize: number,
  seed: number,
  step: number,
  options: BatchOptions = {},
): Uint32Array {
  checkSeed(seed);
  if (options.shuffle === false) return orderedBatch(numExamples, globalBatchSize, step);
  const { epoch, stepInEpoch } = stepPosition(numExamples, globalBatchSize, step, options);
  const start = stepInEpoch * globalBatchSize;
  const end = Math.min(start + globalBatchSize, numExamples);
  return cachedPermutation(numExamples, seed, epoch).slice(start, end);
}

/** Rows t·B … t·B+B−1 modulo n (file order, wrapping). */
function orderedBatch(numExamples: number, globalBatchSize: number, step: number): Uint32Array {
  checkIndex(step, 'step');
  stepsPerEpoch(numExamples, globalBatchSize); // the same size checks as the shuffled order
  const out = new Uint32Array(globalBatchSize);
  const start = ((step % numExamples) * (globalBatchSize % numExamples)) % numExamples; // (t·B) mod n
  for (let i = 0; i < globalBatchSize; i++) out[i] = (start + i) % numExamples;
  return out;
}

/**
 * The part of a global batch that rank `rank` of `numWorkers` handles (numpy array_split
 * semantics): sizes differ by at most one, the first B % N ranks get the extra row.
 */
export function localSlice(globalBatchSize: number, numWorkers: number, rank: number): { start: number; size: number } {
  checkCount(globalBatchSize, 'globalBatchSize');
  checkPositive(numWorkers, 'numWorkers');
  checkIndex(rank, 'rank');
  if (rank >= numWorkers) throw new DatasetError(`rank ${rank} is out of range for ${numWorkers} workers`);
  const base = Math.floor(globalBatchSize / numWorkers);
  const extra = globalBatchSize % numWorkers;
  return { start: rank * base + Math.min(rank, extra), size: base + (rank < extra ? 1 : 0) };
}

/** The indices one worker reads at a step: its localSlice of the global batch. */
export function localBatchIndices(
  numExamples: number,
  globalBatchSize: number,
  seed: number,
  step: number,
  numWorkers: number,
  rank: number,
  options: BatchOptions = {},
): Uint32Array {
  const global = globalBatchIndices(numExamples, globalBatchSize, seed, step, options);
  const { start, size } = localSlice(global.length, numWorkers, rank);
  return global.slice(start, start + size);
}

/** Copies the rows at `indices` (features and labels/targets) into fresh contiguous arrays. */
export function gatherRows(dataset: Dataset, indices: ArrayLike<number>): { x: Float32Array; y: Int32Array | Float32Array } {
  const fx = featureSize(dataset);
  const fy = targetSize(dataset);
  const m = indices.length;
  const x = new Float32Array(m * fx);
  const y = dataset.y instanceof Int32Array ? new Int32Array(m * fy) : new Float32Array(m * fy);
  for (let r = 0; r < m; r++) {
    const i = indices[r];
    if (!Number.isInteger(i) || i < 0 || i >= dataset.numExamples) {
      throw new DatasetError(`row index ${i} is out of range for dataset '${dataset.name}' (${dataset.numExamples} examples)`);
    }
    x.set(dataset.x.subarray(i * fx, (i + 1) * fx), r * fx);
    if (fy === 1) y[r] = dataset.y[i];
    else y.set(dataset.y.subarray(i * fy, (i + 1) * fy), r * fy);
  }
  return { x, y };
}

function checkCount(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new DatasetError(`${what} must be an integer >= 0 (got ${v})`);
}

function checkPositive(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 1) throw new DatasetError(`${what} must be an integer >= 1 (got ${v})`);
}

function checkIndex(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new DatasetError(`${what} must be an integer >= 0 (got ${v})`);
}
