/**
 * Benchmarks refuse to print a throughput for a run whose loss does not fall: a fast run that trains
 * wrong is not a result (stale weights once trained at full speed on every path that lacked OpenBLAS).
 */
import { describeLossTrend, lossTrend } from '../src/core/evaluation/loss-trend';

export function requireLearning(what: string, losses: readonly number[]): void {
  const trend = lossTrend(losses);
  if (!trend?.fell)
    throw new Error(`refusing to report a throughput for ${what}: ${trend ? describeLossTrend(trend) : 'fewer than two steps'}`);
}
