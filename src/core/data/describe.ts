/** What a dataset holds, for a preview before a run starts (the New-run form, `dtrain datasets`). */
import type { Dataset, Task } from './types';

export interface DatasetSummary {
  name: string;
  examples: number;
  featureShape: number[];
  task: Task;
  /** Classification: every class with its example count, in label order. */
  classes?: { name: string; count: number }[];
  /** Regression: values per target. */
  targetDim?: number;
}

export function describeDataset(ds: Dataset): DatasetSummary {
  const base = { name: ds.name, examples: ds.numExamples, featureShape: [...ds.featureShape], task: ds.task };
  if (ds.task !== 'classification') return { ...base, targetDim: ds.targetDim ?? 1 };
  const counts = new Array<number>(ds.numClasses ?? 0).fill(0);
  for (let i = 0; i < ds.y.length; i++) counts[ds.y[i]!] = (counts[ds.y[i]!] ?? 0) + 1;
  return { ...base, classes: counts.map((count, k) => ({ name: ds.classNames?.[k] ?? String(k), count })) };
}
