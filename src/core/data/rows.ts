/**
 * A dataset's rows as a worker reads them: a batch at a time, by index, whether the rows live in
 * memory (a loaded Dataset) or are read from a file for each batch (src/datasets/streamed-rows.ts).
 * The labels (one per row, or a row's targets) are small and always at hand: the class count, the
 * stratified split and the batch order never touch the features. Which rows a step reads is still a
 * pure function of (dataset, batch size, seed, step) (batches.ts); a source only says what they hold.
 */
import { gatherRows } from './batches';
import { DatasetError, featureSize, targetSize, type Dataset } from './types';

/** A dataset without its feature values. */
export type DatasetInfo = Omit<Dataset, 'x' | 'y'>;

export interface RowSource extends DatasetInfo {
  /** Every row's label (class index) or targets, as a loaded Dataset's `y`. */
  readonly labels: Int32Array | Float32Array;
  /** True when readRows reads the rows from disk (nothing of the features is held between batches). */
  readonly streamed: boolean;
  /** The features and labels of the rows at `indices`, in that order (fresh arrays). */
  readRows(indices: ArrayLike<number>): { x: Float32Array; y: Int32Array | Float32Array };
  /** Releases what reading holds (a file descriptor); absent for loaded rows. */
  close?(): void;
}

/** A loaded dataset as a row source. */
export function inMemoryRows(dataset: Dataset): RowSource {
  const { x: _x, y, ...info } = dataset;
  return { ...info, labels: y, streamed: false, readRows: (indices) => gatherRows(dataset, indices) };
}

/**
 * A source's features, read row by row by `readFeatures(indices, out)` (each row's `featureSize`
 * values at its place in `out`), with the labels at hand.
 */
export function rowSource(
  info: DatasetInfo,
  labels: Int32Array | Float32Array,
  readFeatures: (indices: ArrayLike<number>, out: Float32Array) => void,
): RowSource {
  const fx = featureSize(info);
  const fy = targetSize(info);
  if (labels.length !== info.numExamples * fy)
    throw new DatasetError(`dataset '${info.name}': ${labels.length} label values for ${info.numExamples} rows`);
  return {
    ...info,
    labels,
    streamed: true,
    readRows(indices) {
      checkIndices(indices, info.numExamples, info.name);
      const x = new Float32Array(indices.length * fx);
      readFeatures(indices, x);
      return { x, y: labelsAt(labels, fy, indices) };
    },
  };
}

/** The rows at `indices` of `source`, as a source of their own (a train/validation part). */
export function subsetRows(source: RowSource, indices: Uint32Array, name: string): RowSource {
  const fy = targetSize(source);
  return {
    ...source,
    name,
    numExamples: indices.length,
    featureShape: [...source.featureShape],
    labels: labelsAt(source.labels, fy, indices),
    readRows(rows) {
      checkIndices(rows, indices.length, name);
      return source.readRows(Uint32Array.from(rows as ArrayLike<number>, (r) => indices[r]!));
    },
  };
}

function labelsAt(labels: Int32Array | Float32Array, fy: number, indices: ArrayLike<number>): Int32Array | Float32Array {
  const out = labels instanceof Int32Array ? new Int32Array(indices.length * fy) : new Float32Array(indices.length * fy);
  for (let r = 0; r < indices.length; r++) out.set(labels.subarray(indices[r]! * fy, (indices[r]! + 1) * fy), r * fy);
  return out;
}

function checkIndices(indices: ArrayLike<number>, n: number, name: string): void {
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r]!;
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new DatasetError(`row index ${i} is out of range for dataset '${name}' (${n} examples)`);
  }
}
