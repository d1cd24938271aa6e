/**
 * What a CSV summary keeps of the label column instead of every label: each distinct label once,
 * with its first line and count. That is all task inference, class encoding (and its errors) need.
 */
import { encodeClasses, inferTask, MAX_AUTO_CLASSES, type ClassOrder } from './csv-labels';
import type { Task } from './types';

export interface CsvSummary {
  name: string;
  examples: number;
  featureShape: number[];
  task: Task;
  numClasses?: number;
  classNames?: string[];
  /** Examples per class, in label order. */
  classCounts?: number[];
  targetDim?: number;
}

export class LabelTally {
  private distinct: Map<string, { line: number; count: number; value: number }> | null = new Map();
  private allNumeric = true;
  /** Distinct labels were dropped (numeric, regression-like), then a text label came: only a full read can tell. */
  undecided = false;

  constructor(private readonly task: Task | undefined) {
    if (task === 'regression') this.distinct = null;
  }

  add(cell: string, line: number, value: number): void {
    if (!Number.isFinite(value)) {
      this.allNumeric = false;
      if (this.distinct === null && this.task === undefined) this.undecided = true;
    }
    if (this.distinct === null) return;
    const seen = this.distinct.get(cell);
    if (seen) seen.count++;
    else this.distinct.set(cell, { line, count: 1, value });
    // Auto task with many distinct or fractional numbers is regression unless a text label follows.
    if (this.task === undefined && this.allNumeric) {
      if (
        !Number.isInteger(value) ||
        (this.distinct.size > MAX_AUTO_CLASSES && distinctNumbers(this.distinct) > MAX_AUTO_CLASSES)
      )
        this.distinct = null;
    }
  }

  /** The task and classes, as the full parser would find them (throws its errors). */
  resolve(
    opts: { task?: Task; classNames?: string[]; classOrder?: ClassOrder },
    display: string,
  ): Pick<CsvSummary, 'task' | 'numClasses' | 'classNames' | 'classCounts' | 'targetDim'> {
    if (this.distinct === null) return { task: 'regression', targetDim: 1 };
    const entries = [...this.distinct.entries()];
    const numeric = this.allNumeric ? Float64Array.from(entries, ([, e]) => e.value) : null;
    const task = opts.task ?? inferTask(numeric);
    if (task === 'regression') return { task, targetDim: 1 };
    const col = { raw: entries.map(([raw]) => raw), lines: entries.map(([, e]) => e.line), numeric, display };
    const { y, classNames } = encodeClasses(col, opts);
    const classCounts = new Array<number>(classNames.length).fill(0);
    y.forEach((k, i) => (classCounts[k]! += entries[i]![1].count));
    return { task, numClasses: classNames.length, classNames, classCounts };
  }
}

function distinctNumbers(m: Map<string, { value: number }>): number {
  return new Set([...m.values()].map((e) => e.value)).size;
}
