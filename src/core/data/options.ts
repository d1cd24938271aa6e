/** Validation of generator options: clear one-line errors naming the generator and the option. */
import { DatasetError } from './types';
import { unknownKeyMessage } from '../text/did-you-mean';

/** Largest number of float values a generator may allocate (guards against typos like 1e9 rows). */
export const MAX_GENERATED_VALUES = 1 << 28;

export class OptionReader {
  constructor(
    private readonly owner: string,
    private readonly values: Record<string, unknown>,
    known: readonly string[],
  ) {
    // Ignore the discriminators a source object carries; reject anything else unknown (typos).
    const allowed = new Set([...known, 'name', 'kind']);
    for (const key of Object.keys(values)) {
      if (!allowed.has(key)) {
        throw new DatasetError(`${owner}: ${unknownKeyMessage(key, known).replace('unknown key', 'unknown option')}`);
      }
    }
  }

  /** An integer option in [min, max]. */
  int(key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.values[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
      throw new DatasetError(`${this.owner}: ${key} must be an integer ${range} (got ${String(v)})`);
    }
    return v;
  }

  /** A finite number option >= min (or > min when `exclusive`). */
  num(key: string, fallback: number, min: number, exclusive = false): number {
    const v = this.values[key] ?? fallback;
    const ok = typeof v === 'number' && Number.isFinite(v) && (exclusive ? v > min : v >= min);
    if (!ok)
      throw new DatasetError(`${this.owner}: ${key} must be a finite number ${exclusive ? '>' : '>='} ${min} (got ${String(v)})`);
    return v as number;
  }

  /** The seed: any safe integer, default 0. */
  seed(): number {
    const v = this.values.seed ?? 0;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      throw new DatasetError(`${this.owner}: seed must be a safe integer (got ${String(v)})`);
    }
    return v;
  }

  /** Throws when the generated data would be unreasonably large. */
  checkSize(numValues: number): void {
    if (numValues > MAX_GENERATED_VALUES) {
      throw new DatasetError(
        `${this.owner}: the requested size (${numValues} values) exceeds the limit of ${MAX_GENERATED_VALUES}`,
      );
    }
  }
}
