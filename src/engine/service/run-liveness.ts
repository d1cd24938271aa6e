/**
 * Who trains a run, as a front end needs to know it: this process, another live dtrain process on the
 * same database (a `dtrain train` in a terminal: only it can pause or stop the run), or nobody although
 * the run is marked running (its process was killed: the run is interrupted, and resume continues it).
 */
import type { RunSummary } from '../../shared/api';
import type { RunStore } from '../store/index';

export function withLiveness<T extends RunSummary>(store: RunStore, run: T, trainingHere: boolean): T {
  if (trainingHere) return run;
  const lease = store.runLease(run.id);
  if (lease?.alive && !lease.mine) return { ...run, elsewhere: { pid: lease.pid, host: lease.host } };
  if (run.status === 'running') return { ...run, status: 'interrupted' };
  return run;
}
