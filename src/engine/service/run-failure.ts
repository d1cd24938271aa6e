/**
 * Storing that a run failed when the store itself is what failed (a full disk). A write that failed
 * for a full disk has rolled back, so one small update usually still fits; copying the WAL into the
 * main file may free more. If even that fails, the run's lease (held by the process ending the run)
 * is what readers see: a run marked running with no live trainer reads as `interrupted`, never
 * `running`.
 */
import type { RunStore } from '../store/index';

export type FailureStore = Pick<RunStore, 'updateRun' | 'checkpointWal'>;

/** Marks the run failed with `error`; returns the stored step, or null when nothing could be written. */
export function recordFailure(store: FailureStore, runId: string, error: string, log?: (line: string) => void): number | null {
  try {
    return store.updateRun(runId, { status: 'failed', error }).step;
  } catch {
    // retried below, after freeing what can be freed
  }
  try {
    store.checkpointWal();
  } catch {
    // nothing to free; the retry may still fit where the failed write rolled back
  }
  try {
    return store.updateRun(runId, { status: 'failed', error }).step;
  } catch (e) {
    log?.(
      `run ${runId}: the failure could not be stored either (${e instanceof Error ? e.message : String(e)}); it will read as interrupted`,
    );
    return null;
  }
}
