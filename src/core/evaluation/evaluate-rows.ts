/** Loss and metric sums over a contiguous range of a dataset's rows, in bounded chunks (no dropout). */
import { evaluateSum, type Model, type ParamValue } from '../models/index';
import type { BatchSums } from '../models/train';
import type { RowSource } from '../data/index';

/** Rows per forward pass: bounds the memory of evaluating a large held-out set. */
const CHUNK_ROWS = 1024;

export function evaluateSlice(
  model: Model,
  params: Map<string, ParamValue>,
  dataset: RowSource,
  start: number,
  size: number,
): BatchSums {
  const metricSums: Record<string, number> = Object.fromEntries(model.metrics.map((m) => [m, 0]));
  const total: BatchSums = { count: 0, lossSum: 0, metricSums };
  for (let at = start; at < start + size; at += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, start + size - at);
    const indices = Uint32Array.from({ length: n }, (_, i) => at + i);
    const { x, y } = dataset.readRows(indices);
    const part = evaluateSum(model, params, x, y, n);
    total.count += part.count;
    total.lossSum += part.lossSum;
    for (const m of Object.keys(metricSums)) metricSums[m]! += part.metricSums[m]!;
  }
  return total;
}
