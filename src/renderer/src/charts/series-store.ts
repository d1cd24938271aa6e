/**
 * Column store for chart data: one growable Float64Array per series, doubled when full, so appending
 * 100k points costs O(1) amortised and charts get zero-copy `subarray` views. Non-finite values are
 * kept as NaN (a gap) and excluded from each column's running min/max.
 */

interface Column {
  data: Float64Array;
  min: number;
  max: number;
}

export class SeriesStore {
  private readonly columns = new Map<string, Column>();
  private capacity: number;
  length = 0;

  constructor(names: readonly string[], capacity = 1024) {
    this.capacity = capacity;
    for (const name of names) this.addColumn(name);
  }

  has(name: string): boolean {
    return this.columns.has(name);
  }

  names(): string[] {
    return [...this.columns.keys()];
  }

  /** Adds a column (earlier rows read as gaps). Returns false when it already existed. */
  addColumn(name: string): boolean {
    if (this.columns.has(name)) return false;
    this.columns.set(name, { data: new Float64Array(this.capacity).fill(NaN), min: Infinity, max: -Infinity });
    return true;
  }

  private grow(): void {
    this.capacity *= 2;
    for (const col of this.columns.values()) {
      const next = new Float64Array(this.capacity).fill(NaN, this.length);
      next.set(col.data.subarray(0, this.length));
      col.data = next;
    }
  }

  /** Appends one row; columns missing from `row` get a gap. */
  append(row: Record<string, number>): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    for (const [name, col] of this.columns) {
      const v = row[name];
      const finite = typeof v === 'number' && Number.isFinite(v);
      col.data[i] = finite ? v : NaN;
      if (finite) {
        if (v < col.min) col.min = v;
        if (v > col.max) col.max = v;
      }
    }
  }

  /** A live view of the first `length` values (invalid after the next append that grows). */
  column(name: string): Float64Array {
    const col = this.columns.get(name);
    return col ? col.data.subarray(0, this.length) : new Float64Array(this.length).fill(NaN);
  }

  /** Min and max over the finite values, or null when there are none. */
  range(name: string): [number, number] | null {
    const col = this.columns.get(name);
    return col && col.min <= col.max ? [col.min, col.max] : null;
  }

  last(name: string): number | null {
    if (this.length === 0) return null;
    const col = this.columns.get(name);
    return col ? col.data[this.length - 1] : null;
  }

  /** The newest finite value (validation metrics exist only at evaluation steps). */
  lastFinite(name: string): number | null {
    const col = this.columns.get(name);
    if (!col) return null;
    for (let i = this.length - 1; i >= 0; i--) if (Number.isFinite(col.data[i])) return col.data[i];
    return null;
  }

  /** Sets the given columns of an existing row (others keep their values). */
  update(index: number, row: Record<string, number>): void {
    for (const [name, v] of Object.entries(row)) {
      const col = this.columns.get(name);
      if (!col || index >= this.length) continue;
      const finite = Number.isFinite(v);
      col.data[index] = finite ? v : NaN;
      if (finite) {
        if (v < col.min) col.min = v;
        if (v > col.max) col.max = v;
      }
    }
  }

  /** Drops rows from `index` on (a run resumed from an earlier checkpoint re-does those steps). */
  truncate(index: number): void {
    if (index >= this.length) return;
    this.length = Math.max(0, index);
    for (const col of this.columns.values()) {
      col.data.fill(NaN, this.length);
      col.min = Infinity;
      col.max = -Infinity;
      for (let i = 0; i < this.length; i++) {
        const v = col.data[i];
        if (v < col.min) col.min = v;
        if (v > col.max) col.max = v;
      }
    }
  }

  clear(): void {
    this.length = 0;
    for (const col of this.columns.values()) {
      col.data.fill(NaN);
      col.min = Infinity;
      col.max = -Infinity;
    }
  }
}

/** Index of the first row whose `key` column value is ≥ `value` (the column must be ascending). */
export function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
