/**
 * NumPy arrays (as a Keras user passes them to fit(x, y)) → a Dataset. Rows are the first axis; float
 * inputs become float32 (Keras's floatx), integer inputs stay exact (refused beyond float32's 2^24),
 * integer or bool labels of shape (n,) or (n, 1) are classes, anything else regression targets.
 */
import { isIntegerDtype, npyToNumbers, type NpyArray } from './npy';
import { DatasetError, type Dataset, type Task } from './types';

/** Largest integer float32 holds exactly: Embedding ids must stay ids. */
const EXACT_INT = 2 ** 24;

export interface ArrayDatasetOptions {
  /** Overrides the guess from y's dtype and shape. */
  task?: Task;
}

export function datasetFromArrays(name: string, x: NpyArray, y: NpyArray, options: ArrayDatasetOptions = {}): Dataset {
  const { n, featureShape, task, yPerRow } = arrayLayout(x, y, options);
  const xs = toFloat32(x, 'x');
  if (task === 'classification') {
    const { labels, numClasses } = classIndices(y, n);
    return { name, numExamples: n, featureShape, x: xs, y: labels, task, numClasses, xDtype: x.dtype };
  }
  return { name, numExamples: n, featureShape, x: xs, y: toFloat32(y, 'y'), task, targetDim: yPerRow, xDtype: x.dtype };
}

/**
 * A dataset's description and labels from x's header and the whole of y, checked as datasetFromArrays
 * checks them: for a source whose features are read a batch at a time (featuresToFloat32).
 */
export function labelsFromArrays(
  name: string,
  x: Pick<NpyArray, 'dtype' | 'shape'>,
  y: NpyArray,
  options: ArrayDatasetOptions = {},
): { info: Omit<Dataset, 'x' | 'y'>; labels: Int32Array | Float32Array } {
  const { n, featureShape, task, yPerRow } = arrayLayout(x, y, options);
  if (task === 'classification') {
    const { labels, numClasses } = classIndices(y, n);
    return { info: { name, numExamples: n, featureShape, task, numClasses, xDtype: x.dtype }, labels };
  }
  return { info: { name, numExamples: n, featureShape, task, targetDim: yPerRow, xDtype: x.dtype }, labels: toFloat32(y, 'y') };
}

/** What x's and y's headers say (and y's labels, for the class count), checked as a load checks them. */
export function arraysSummary(
  x: Pick<NpyArray, 'dtype' | 'shape'>,
  y: NpyArray | Pick<NpyArray, 'dtype' | 'shape'>,
  options: ArrayDatasetOptions = {},
) {
  const { n, featureShape, task, yPerRow } = arrayLayout(x, y, options);
  if (task !== 'classification') return { examples: n, featureShape, task, targetDim: yPerRow, xDtype: x.dtype };
  const { numClasses, labels } = classIndices(y as NpyArray, n);
  const counts = new Array<number>(numClasses).fill(0);
  for (const k of labels) counts[k]!++;
  return { examples: n, featureShape, task, numClasses, classCounts: counts, xDtype: x.dtype };
}

function arrayLayout(x: Pick<NpyArray, 'shape'>, y: Pick<NpyArray, 'dtype' | 'shape'>, options: ArrayDatasetOptions) {
  if (x.shape.length === 0) throw new DatasetError(`x is a scalar; it needs one row per example (shape (n, …))`);
  if (y.shape.length === 0) throw new DatasetError(`y is a scalar; it needs one row per example (shape (n, …))`);
  const n = x.shape[0]!;
  if (y.shape[0] !== n) throw new DatasetError(`x has ${n} rows but y has ${y.shape[0]} (their first dimensions must match)`);
  if (n === 0) throw new DatasetError('x and y have no rows');
  const featureShape = x.shape.length === 1 ? [1] : x.shape.slice(1);
  if (featureShape.some((d) => d === 0)) throw new DatasetError(`x has shape (${x.shape.join(', ')}): an example has no values`);
  const yPerRow = y.shape.slice(1).reduce((a, b) => a * b, 1);
  const task: Task = options.task ?? (isIntegerDtype(y.dtype) && yPerRow === 1 ? 'classification' : 'regression');
  if (task === 'classification' && yPerRow !== 1)
    throw new DatasetError(`classification labels must have shape (n,) or (n, 1), y has (${y.shape.join(', ')})`);
  return { n, featureShape, task, yPerRow };
}

function classIndices(y: NpyArray, n: number): { labels: Int32Array; numClasses: number } {
  const values = npyToNumbers(y);
  const labels = new Int32Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff)
      throw new DatasetError(`label ${v} at row ${i} is not a class index (integers from 0)`);
    labels[i] = v;
    if (v > max) max = v;
  }
  return { labels, numClasses: Math.max(2, max + 1) };
}

/** Values of (a part of) an array as float32 inputs; `flatOffset`: where the part starts, for the error. */
export function featuresToFloat32(a: Pick<NpyArray, 'dtype' | 'data'>, flatOffset: number): Float32Array {
  return toFloat32(a, 'x', flatOffset);
}

function toFloat32(a: Pick<NpyArray, 'dtype' | 'data'>, what: string, flatOffset = 0): Float32Array {
  if (a.data instanceof Float32Array) return a.data;
  const values = npyToNumbers(a);
  if (isIntegerDtype(a.dtype)) {
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i]!) > EXACT_INT) {
        throw new DatasetError(
          `${what} holds the integer ${values[i]} at flat index ${flatOffset + i}: integers beyond 2^24 cannot stay exact as float32 inputs`,
        );
      }
    }
  }
  return Float32Array.from(values);
}
