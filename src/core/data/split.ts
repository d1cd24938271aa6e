/** Seeded train/validation split (stratified by class for classification) and dataset subsets. */
import { Rng, checkSeed } from '../random/stream';
import { gatherRows } from './batches';
import { DatasetError, validateLabels, type Dataset } from './types';

export interface SplitOptions {
  /** Share of examples held out, in [0, 1). */
  validationFraction: number;
  seed: number;
  /** Keep class proportions (default true for classification; ignored for regression). */
  stratify?: boolean;
}

const SPLIT_STREAM = 0x5b117;

/**
 * Row indices of each part, ascending. Stratified: round(count_c × fraction) rows of every class c
 * go to validation, chosen by a seeded shuffle, so small classes are represented in both parts.
 */
export function splitIndices(
  dataset: Pick<Dataset, 'name' | 'numExamples' | 'y' | 'task' | 'numClasses' | 'targetDim'>,
  options: SplitOptions,
): { train: Uint32Array; validation: Uint32Array } {
  const { validationFraction: f, seed } = options;
  if (typeof f !== 'number' || !(f >= 0 && f < 1)) {
    throw new DatasetError(`validationFraction must be in [0, 1) (got ${f})`);
  }
  checkSeed(seed);
  validateLabels(dataset); // labels in range before they index the class groups (the features play no part)
  const rng = new Rng(SPLIT_STREAM, seed);
  const stratify = dataset.task === 'classification' && (options.stratify ?? true);
  const groups = stratify ? rowsByClass(dataset) : [allRows(dataset.numExamples)];
  const isValidation = new Uint8Array(dataset.numExamples);
  let numValidation = 0;
  for (const rows of groups) {
    rng.shuffle(rows);
    const take = Math.round(rows.length * f);
    for (let i = 0; i < take; i++) isValidation[rows[i]] = 1;
    numValidation += take;
  }
  if (numValidation === dataset.numExamples) {
    throw new DatasetError(`validationFraction ${f} leaves no training examples (${dataset.numExamples} in total)`);
  }
  const train = new Uint32Array(dataset.numExamples - numValidation);
  const validation = new Uint32Array(numValidation);
  for (let i = 0, t = 0, v = 0; i < dataset.numExamples; i++) {
    if (isValidation[i]) validation[v++] = i;
    else train[t++] = i;
  }
  return { train, validation };
}

/** Splits a dataset into two datasets; both keep the parent's normalization statistics. */
export function trainValidationSplit(dataset: Dataset, options: SplitOptions): { train: Dataset; validation: Dataset } {
  const { train, validation } = splitIndices(dataset, options);
  return {
    train: subsetDataset(dataset, train, `${dataset.name}/train`),
    validation: subsetDataset(dataset, validation, `${dataset.name}/validation`),
  };
}

/** A new dataset holding the rows at `indices` (copied), with the same metadata. */
export function subsetDataset(dataset: Dataset, indices: ArrayLike<number>, name = dataset.name): Dataset {
  const { x, y } = gatherRows(dataset, indices);
  return { ...dataset, name, numExamples: indices.length, x, y, featureShape: [...dataset.featureShape] };
}

function allRows(n: number): Uint32Array {
  const rows = new Uint32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

function rowsByClass(dataset: Pick<Dataset, 'numExamples' | 'y' | 'numClasses'>): Uint32Array[] {
  const k = dataset.numClasses ?? 0;
  const counts = new Uint32Array(k);
  for (let i = 0; i < dataset.numExamples; i++) counts[dataset.y[i]]++;
  const groups = Array.from(counts, (c) => new Uint32Array(c));
  const fill = new Uint32Array(k);
  for (let i = 0; i < dataset.numExamples; i++) {
    const c = dataset.y[i];
    groups[c][fill[c]++] = i;
  }
  return groups;
}
