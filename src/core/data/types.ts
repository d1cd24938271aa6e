/**
 * The in-memory dataset every trainer process works on. Workers load the same dataset from the same
 * (serializable) source and pick their rows by index, so everything here is plain typed arrays.
 */
import { DatasetError } from '../errors';

export type Task = 'classification' | 'regression';

/** Per-feature statistics, computed once and stored so a resumed run or an export can reproduce them. */
export type Normalization =
  | { kind: 'none' }
  /** x' = (x - mean) / std; population std (ddof 0); a feature with std 0 is divided by 1. */
  | { kind: 'zscore'; mean: number[]; std: number[] }
  /** x' = (x - min) / (max - min); a constant feature (max == min) maps to 0. */
  | { kind: 'minmax'; min: number[]; max: number[] };

export type NormalizationKind = Normalization['kind'];

/** One named array of a packed row: its shape without the batch axis, its dtype. */
export interface ArrayPart {
  name: string;
  shape: number[];
  dtype: string;
}

/** A target array's values, for checking class labels before a run starts. */
export interface TargetPart extends ArrayPart {
  /** Every value is an integer, between min and max. */
  integral: boolean;
  min: number;
  max: number;
}

export interface Dataset {
  name: string;
  numExamples: number;
  /** Shape of one example, e.g. [4] for iris, [8, 8, 1] for 8×8 grey images (NHWC without N). */
  featureShape: number[];
  /** Row-major features: numExamples × prod(featureShape). */
  x: Float32Array;
  /** Class indices (classification) or numExamples × targetDim targets (regression). */
  y: Int32Array | Float32Array;
  task: Task;
  numClasses?: number;
  classNames?: string[];
  /** Targets per example for regression (y.length === numExamples * targetDim). */
  targetDim?: number;
  featureNames?: string[];
  normalization?: Normalization;
  /** The dtype x had in its file (npy/npz), e.g. 'int32' for Embedding ids (held exactly in x). */
  xDtype?: string;
  /** Named inputs packed into x's rows, in packed order (core/data/parts.ts); absent for one unnamed x. */
  xParts?: ArrayPart[];
  /** Named targets packed into y's rows, likewise. */
  yParts?: TargetPart[];
}

export { DatasetError };

/** Number of feature values per example. */
export function featureSize(ds: Pick<Dataset, 'featureShape'>): number {
  return ds.featureShape.reduce((a, b) => a * b, 1);
}

/** Number of y values per example (1 for classification). */
export function targetSize(ds: Pick<Dataset, 'task' | 'targetDim'>): number {
  return ds.task === 'regression' ? (ds.targetDim ?? 1) : 1;
}

/** Checks the internal consistency of a dataset (sizes, label range); throws DatasetError. */
export function validateDataset(ds: Dataset): void {
  const fail = (msg: string): never => {
    throw new DatasetError(`dataset '${ds.name}': ${msg}`);
  };
  if (!Number.isInteger(ds.numExamples) || ds.numExamples < 0) fail(`bad numExamples ${ds.numExamples}`);
  if (ds.featureShape.some((d) => !Number.isInteger(d) || d < 1)) fail(`bad featureShape [${ds.featureShape}]`);
  if (ds.x.length !== ds.numExamples * featureSize(ds))
    fail(`x has ${ds.x.length} values, expected ${ds.numExamples * featureSize(ds)}`);
  validateLabels(ds);
}

/** Checks the labels or targets of a dataset (sizes, label range), whether or not its features are loaded. */
export function validateLabels(ds: Pick<Dataset, 'name' | 'numExamples' | 'y' | 'task' | 'numClasses' | 'targetDim'>): void {
  const fail = (msg: string): never => {
    throw new DatasetError(`dataset '${ds.name}': ${msg}`);
  };
  if (ds.y.length !== ds.numExamples * targetSize(ds))
    fail(`y has ${ds.y.length} values, expected ${ds.numExamples * targetSize(ds)}`);
  if (ds.task === 'classification') {
    if (!(ds.y instanceof Int32Array)) fail('classification labels must be an Int32Array');
    const k = ds.numClasses ?? 0;
    if (k < 2) fail(`numClasses must be at least 2 (got ${k})`);
    for (let i = 0; i < ds.y.length; i++) {
      if (ds.y[i] < 0 || ds.y[i] >= k) fail(`label ${ds.y[i]} at row ${i} is outside [0, ${k})`);
    }
  } else if (!(ds.y instanceof Float32Array)) {
    fail('regression targets must be a Float32Array');
  }
}
