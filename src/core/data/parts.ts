/**
 * Several named arrays as one dataset, as a Keras user calls `fit({"title": …, "body": …},
 * {"priority": …, "department": …})`: each example's inputs are packed into one row, every input's
 * values one after another, in the order of their names (packedOrder); the targets likewise. The model
 * unpacks its inputs and targets by the same rule (core/models/keras/graph.ts, output-losses.ts), so every input and target
 * of an example travels together: one shuffle, one slice per device.
 */
import { isIntegerDtype, npyToNumbers, type NpyArray } from './npy';
import { featuresToFloat32, labelsFromArrays, type ArrayDatasetOptions } from './arrays';
import type { DatasetInfo } from './rows';
import { DatasetError, type ArrayPart, type Dataset, type TargetPart } from './types';

export type { ArrayPart, TargetPart };

export interface NamedArray {
  /** The model input or output it feeds ('' for an array given plainly). */
  name: string;
  /** How messages name it: `x.body ('body_ids')`. */
  label: string;
  array: NpyArray;
}

/** The order packed rows hold named arrays in: by name (code-point order), whatever order they were given in. */
export function packedOrder<T extends { name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const rowShape = (a: Pick<NpyArray, 'shape'>): number[] => (a.shape.length === 1 ? [1] : a.shape.slice(1));
const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/** A named array known by its header (its values read later, a batch at a time). */
export interface NamedHeader {
  name: string;
  label: string;
  array: Pick<NpyArray, 'dtype' | 'shape'>;
}

/** The arrays' rows agree, and none is a scalar: one line naming the arrays that differ. */
function checkRows(all: NamedHeader[]): number {
  for (const { label, array } of all)
    if (array.shape.length === 0) throw new DatasetError(`${label} is a scalar; it needs one row per example`);
  // The odd one out is named against the row count most arrays have.
  const counts = all.map((a) => a.array.shape[0]!);
  const n = counts.reduce((best, c) =>
    counts.filter((d) => d === c).length > counts.filter((d) => d === best).length ? c : best,
  );
  const other = all.find((a) => a.array.shape[0] !== n);
  if (other) {
    const agreeing = all.find((a) => a.array.shape[0] === n)!;
    throw new DatasetError(
      `${other.label} has ${other.array.shape[0]} rows but ${agreeing.label} has ${n} (every input and target needs one row per example)`,
    );
  }
  return n;
}

/** Arrays packed into one float32 array of rows (inputs checked to stay exact, as a single x is). */
function pack(parts: NamedArray[], n: number): NpyArray {
  const widths = parts.map((p) => size(rowShape(p.array)));
  const width = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(n * width);
  let offset = 0;
  parts.forEach((p, k) => {
    const values = featuresToFloat32(p.array, 0);
    const w = widths[k]!;
    for (let r = 0; r < n; r++) out.set(values.subarray(r * w, (r + 1) * w), r * width + offset);
    offset += w;
  });
  return { dtype: 'float32', shape: [n, width], data: out };
}

function targetPart({ name, array }: NamedArray): TargetPart {
  const values = npyToNumbers(array);
  let [min, max, integral] = [Infinity, -Infinity, true];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    if (!Number.isInteger(v)) integral = false;
  }
  return { name, shape: rowShape(array), dtype: array.dtype, integral, min, max };
}

/**
 * A dataset's description and its (packed) targets from named inputs known by their headers and the
 * whole of the named targets: for a source whose inputs are read a batch at a time (packedRow gives
 * each input's place in a row). One target keeps a single y's rules (integer labels are classes);
 * several are packed as float targets (class ids stay exact), each one's labels checked against its
 * output by the run's check (engine/config/run-fit.ts).
 */
export function labelsFromParts(
  name: string,
  xs: NamedHeader[],
  ys: NamedArray[],
  options: ArrayDatasetOptions = {},
): { info: DatasetInfo; labels: Int32Array | Float32Array } {
  const inputs = packedOrder(xs);
  const targets = packedOrder(ys);
  const n = checkRows([...inputs, ...targets]);
  if (targets.length > 1 && options.task === 'classification')
    throw new DatasetError(`"task": "classification" takes one target array, not ${targets.length}`);
  const width = inputs.reduce((a, p) => a + size(rowShape(p.array)), 0);
  const x = inputs.length === 1 ? inputs[0]!.array : { dtype: 'float32' as const, shape: [n, width] };
  const y = targets.length === 1 ? targets[0]!.array : pack(targets, n);
  const { info, labels } = labelsFromArrays(name, x, y, targets.length === 1 ? options : { task: 'regression' });
  const xDtype = inputs.every((p) => isIntegerDtype(p.array.dtype)) ? inputs[0]!.array.dtype : 'float32';
  return {
    info: {
      ...info,
      xDtype: inputs.length === 1 ? info.xDtype : xDtype,
      // An array given plainly (`"x": "x"` beside a named y) has no name to check.
      ...(inputs[0]!.name === ''
        ? {}
        : { xParts: inputs.map((p) => ({ name: p.name, shape: rowShape(p.array), dtype: p.array.dtype })) }),
      ...(targets[0]!.name === '' ? {} : { yParts: targets.map(targetPart) }),
    },
    labels,
  };
}

/** Each input's place in a packed row (packedOrder): its values per row and where they start. */
export function packedRow(
  xs: readonly { name: string; array: Pick<NpyArray, 'shape'> }[],
): Map<string, { offset: number; width: number }> {
  const out = new Map<string, { offset: number; width: number }>();
  let offset = 0;
  for (const p of packedOrder(xs)) {
    const width = size(rowShape(p.array));
    out.set(p.name, { offset, width });
    offset += width;
  }
  return out;
}

/** A dataset from named inputs and targets, all loaded (labelsFromParts, with the inputs packed). */
export function datasetFromParts(name: string, xs: NamedArray[], ys: NamedArray[], options: ArrayDatasetOptions = {}): Dataset {
  const { info, labels } = labelsFromParts(name, xs, ys, options);
  const inputs = packedOrder(xs);
  const x = inputs.length === 1 ? featuresToFloat32(inputs[0]!.array, 0) : pack(inputs, info.numExamples).data;
  return { ...info, x: x as Float32Array, y: labels };
}
