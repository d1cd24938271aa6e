/** What validation knows of a data source without loading it (inspect-source.ts, inspect-parts.ts). */
import type { ArrayPart, CsvSummary, DatasetInfo, TargetPart } from '../core/data/index';

export interface DataSourceShape extends CsvSummary {
  /** The dtype of x in an .npz/.npy (integer ids for an Embedding stay integers). */
  xDtype?: string;
  /** Named inputs and targets packed into each row (core/data/parts.ts). */
  xParts?: ArrayPart[];
  yParts?: TargetPart[];
}

/** A data source's shape from what its loader or header reading knows, and its labels (one per row). */
export function shapeFromInfo(info: DatasetInfo, labels: ArrayLike<number>): DataSourceShape {
  const base = {
    name: info.name,
    examples: info.numExamples,
    featureShape: [...info.featureShape],
    task: info.task,
    ...(info.xDtype ? { xDtype: info.xDtype } : {}),
    ...(info.xParts ? { xParts: info.xParts } : {}),
    ...(info.yParts ? { yParts: info.yParts } : {}),
  };
  if (info.task !== 'classification') return { ...base, targetDim: info.targetDim ?? 1 };
  const classCounts = new Array<number>(info.numClasses ?? 0).fill(0);
  for (let i = 0; i < labels.length; i++) classCounts[labels[i]!]!++;
  return { ...base, numClasses: info.numClasses, ...(info.classNames ? { classNames: info.classNames } : {}), classCounts };
}
