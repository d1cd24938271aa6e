/**
 * One short line per worker when a run starts: its backend, kernels, communication thread, storage
 * and, when so, that its parameters are fully sharded (docs/architecture.md, "The memory model"), each
 * as a verdict without its reasoning (`dtrain doctor` explains every choice), so the start of a run
 * fits a terminal.
 */
import type { WorkerInfo } from '../../shared/worker-protocol';

/** "native BLAS: on (OpenBLAS 0.3.21 …)" → "native BLAS: on"; a skipped backend keeps its reason's first clause. */
export function noteVerdict(note: string): string {
  const open = note.indexOf(' (');
  const cut = open < 0 ? note : note.slice(0, open);
  return cut.length > 60 ? `${cut.slice(0, 59)}…` : cut;
}

export function workerStartLine(info: WorkerInfo, storage: 'host' | 'tensor', fullySharded = false): string {
  const notes = [...info.backendNotes.map(noteVerdict), `${storage} storage`, ...(fullySharded ? ['fully sharded'] : [])];
  return `[worker dev${info.deviceId} ${info.pid}] ${info.backend}; ${notes.join('; ')} (why: dtrain doctor)`;
}
