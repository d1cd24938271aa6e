/** What validation knows of a data source without loading it (inspect-source.ts, inspect-parts.ts). */
import type { ArrayPart, CsvSummary, TargetPart } from '../core/data/index';

export interface DataSourceShape extends CsvSummary {
  /** The dtype of x in an .npz/.npy (integer ids for an Embedding stay integers). */
  xDtype?: string;
  /** Named inputs and targets packed into each row (core/data/parts.ts). */
  xParts?: ArrayPart[];
  yParts?: TargetPart[];
}
