/** Label handling for the CSV importer: task inference and class-label encoding. */
import { excerpt, quote } from '../text/quote';
import { DatasetError, type Task } from './types';

/** Auto task rule: integer-valued numeric labels with at most this many distinct values are classes. */
export const MAX_AUTO_CLASSES = 20;

export type ClassOrder = 'sorted' | 'first-appearance';

export interface LabelColumn {
  /** Trimmed label cells, one per row. */
  raw: string[];
  /** Starting line of each row, for error messages. */
  lines: ArrayLike<number>;
  /** Numeric values when every label is a number, else null. */
  numeric: Float64Array | null;
  /** How the column is named in messages, e.g. `'species'` or `5`. */
  display: string;
}

/** Non-numeric labels → classification; integer labels with few distinct values → classification. */
export function inferTask(numeric: Float64Array | null): Task {
  if (numeric === null) return 'classification';
  const distinct = new Set<number>();
  for (let i = 0; i < numeric.length; i++) {
    const v = numeric[i];
    if (!Number.isInteger(v)) return 'regression';
    distinct.add(v);
    if (distinct.size > MAX_AUTO_CLASSES) return 'regression';
  }
  return 'classification';
}

/**
 * Maps labels to class indices. Classes are keyed by their text, or by numeric value when all labels
 * are numbers (so '1' and '1.0' are one class). Default order is sorted — numerically for numbers,
 * by UTF-16 code units for text (locale-independent) — so a reordered file gives the same mapping;
 * 'first-appearance' keeps file order; explicit `classNames` fix the order and reject other labels.
 */
export function encodeClasses(
  col: LabelColumn,
  opts: { classNames?: string[]; classOrder?: ClassOrder },
): { y: Int32Array; classNames: string[] } {
  const keys = classKeys(col);
  const names = opts.classNames
    ? checkClassNames(opts.classNames)
    : distinctClasses(keys, col.numeric, opts.classOrder ?? 'sorted');
  // Explicit classNames define the classes, so an evaluation file may hold only some of them.
  if (names.length < 2 && !opts.classNames) {
    throw new DatasetError(
      `label column ${col.display} has only one class (${quote(names[0] ?? '')}); classification needs at least 2 (or use task: 'regression')`,
    );
  }
  const index = new Map<string, number>();
  names.forEach((n, i) => index.set(n, i));
  const y = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = index.get(col.raw[i]) ?? index.get(keys[i]);
    if (k === undefined) {
      throw new DatasetError(
        `line ${col.lines[i]}, column ${col.display}: label ${quote(col.raw[i]!)} is not one of the classNames (${excerpt(names.join(', '), 200)})`,
      );
    }
    y[i] = k;
  }
  return { y, classNames: names };
}

function classKeys(col: LabelColumn): string[] {
  const { raw, numeric } = col;
  if (numeric === null) return raw;
  const keys = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) keys[i] = String(numeric[i]);
  return keys;
}

function distinctClasses(keys: string[], numeric: Float64Array | null, order: ClassOrder): string[] {
  if (order !== 'sorted' && order !== 'first-appearance') {
    throw new DatasetError(`classOrder must be 'sorted' or 'first-appearance' (got ${quote(String(order))})`);
  }
  const seen = new Set<string>();
  for (const k of keys) seen.add(k);
  const names = [...seen];
  if (order === 'first-appearance') return names;
  return numeric !== null ? names.sort((a, b) => Number(a) - Number(b)) : names.sort(compareCodeUnits);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkClassNames(names: string[]): string[] {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw new DatasetError('classNames must be an array of strings');
  }
  if (new Set(names).size !== names.length)
    throw new DatasetError(`classNames has duplicates: ${excerpt(names.join(', '), 200)}`);
  return names;
}
