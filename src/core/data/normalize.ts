/**
 * Feature normalization. Statistics are computed once (float64, two passes for accuracy) and stored
 * in the dataset; applying stored statistics is the same code, so a resumed run, a validation file
 * and an exported model all transform features identically.
 */
import { DatasetError, type Normalization, type NormalizationKind } from './types';

type Values = Float64Array | Float32Array;

export const NORMALIZATION_KINDS: readonly NormalizationKind[] = ['none', 'zscore', 'minmax'];

/** Per-feature statistics of a row-major numRows × numFeatures matrix. */
export function computeNormalization(
  kind: NormalizationKind,
  values: Values,
  numRows: number,
  numFeatures: number,
): Normalization {
  if (kind === 'none') return { kind: 'none' };
  if (kind === 'zscore') return zscoreStats(values, numRows, numFeatures);
  if (kind === 'minmax') return minmaxStats(values, numRows, numFeatures);
  throw new DatasetError(`unknown normalization '${String(kind)}' (use ${NORMALIZATION_KINDS.join(', ')})`);
}

function zscoreStats(values: Values, numRows: number, numFeatures: number): Normalization {
  const mean = new Float64Array(numFeatures);
  const sq = new Float64Array(numFeatures);
  for (let r = 0, o = 0; r < numRows; r++) {
    for (let j = 0; j < numFeatures; j++, o++) mean[j] += values[o];
  }
  for (let j = 0; j < numFeatures; j++) mean[j] = numRows > 0 ? mean[j] / numRows : 0;
  // Second pass on centred values: no catastrophic cancellation for large offsets.
  for (let r = 0, o = 0; r < numRows; r++) {
    for (let j = 0; j < numFeatures; j++, o++) {
      const d = values[o] - mean[j];
      sq[j] += d * d;
    }
  }
  const std = Array.from(sq, (s) => (numRows > 0 ? Math.sqrt(s / numRows) : 0));
  return { kind: 'zscore', mean: Array.from(mean), std };
}

function minmaxStats(values: Values, numRows: number, numFeatures: number): Normalization {
  const min = new Array<number>(numFeatures).fill(numRows > 0 ? Infinity : 0);
  const max = new Array<number>(numFeatures).fill(numRows > 0 ? -Infinity : 0);
  for (let r = 0, o = 0; r < numRows; r++) {
    for (let j = 0; j < numFeatures; j++, o++) {
      const v = values[o];
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  }
  return { kind: 'minmax', min, max };
}

/** Per-feature (offset, divisor) with x' = (x - offset) / divisor; constant features get divisor 1. */
export function affineOf(norm: Normalization, numFeatures: number): { offset: Float64Array; divisor: Float64Array } {
  checkNormalization(norm, numFeatures);
  const offset = new Float64Array(numFeatures);
  const divisor = new Float64Array(numFeatures).fill(1);
  if (norm.kind === 'zscore') {
    for (let j = 0; j < numFeatures; j++) {
      offset[j] = norm.mean[j];
      // A constant column has std 0: leave it centred (all zeros) instead of dividing by zero.
      if (norm.std[j] > 0) divisor[j] = norm.std[j];
    }
  } else if (norm.kind === 'minmax') {
    for (let j = 0; j < numFeatures; j++) {
      offset[j] = norm.min[j];
      const range = norm.max[j] - norm.min[j];
      if (range > 0) divisor[j] = range;
    }
  }
  return { offset, divisor };
}

/** Applies stored statistics to a row-major matrix; returns float32 (optionally into `out`). */
export function applyNormalization(
  values: Values,
  numRows: number,
  numFeatures: number,
  norm: Normalization,
  out: Float32Array = new Float32Array(numRows * numFeatures),
): Float32Array {
  const { offset, divisor } = affineOf(norm, numFeatures);
  for (let r = 0, o = 0; r < numRows; r++) {
    for (let j = 0; j < numFeatures; j++, o++) out[o] = (values[o] - offset[j]) / divisor[j];
  }
  return out;
}

/** Maps normalized features back to raw units (for display and export checks). */
export function invertNormalization(values: Values, numRows: number, numFeatures: number, norm: Normalization): Float64Array {
  const { offset, divisor } = affineOf(norm, numFeatures);
  const out = new Float64Array(numRows * numFeatures);
  for (let r = 0, o = 0; r < numRows; r++) {
    for (let j = 0; j < numFeatures; j++, o++) out[o] = values[o] * divisor[j] + offset[j];
  }
  return out;
}

/** Validates a (possibly user-supplied, e.g. from a checkpoint) normalization object. */
export function checkNormalization(norm: Normalization, numFeatures: number): void {
  const arrays: [string, number[]][] =
    norm.kind === 'zscore'
      ? [
          ['mean', norm.mean],
          ['std', norm.std],
        ]
      : norm.kind === 'minmax'
        ? [
            ['min', norm.min],
            ['max', norm.max],
          ]
        : norm.kind === 'none'
          ? []
          : fail(`unknown normalization kind '${String((norm as { kind: unknown }).kind)}'`);
  for (const [key, arr] of arrays) {
    if (!Array.isArray(arr) || arr.length !== numFeatures) {
      fail(
        `normalization ${key} must have ${numFeatures} values (one per feature), got ${Array.isArray(arr) ? arr.length : typeof arr}`,
      );
    }
    if (arr.some((v) => typeof v !== 'number' || !Number.isFinite(v))) fail(`normalization ${key} has a non-finite value`);
  }
  if (norm.kind === 'zscore' && norm.std.some((s) => s < 0)) fail('normalization std must be >= 0');
}

function fail(message: string): never {
  throw new DatasetError(message);
}
