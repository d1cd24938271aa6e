/**
 * What a checkpoint costs the engine's own process: every parameter and optimizer slot arrives from
 * the workers (in bounded pieces, docs/architecture.md) and is written in one transaction, so the
 * whole state is held here while it is written. A run whose workers fit but whose checkpoint would
 * not is refused before it starts, like one that does not fit at all: it could never be saved.
 */
import type { DeviceInfo } from '../../shared/api';
import type { RunShape } from '../config/run-shape';
import { formatBytes, type WorkerMemory } from './memory-check';

/**
 * The state assembled, plus transfer pieces the garbage collector has not freed yet and the write's
 * own buffers: the engine's peak resident memory was 5.4 GB for a 2.19 GB checkpoint (an MLP
 * 4→13500→13500→3, `npm run bench -- large-checkpoint`), 2.5 times the state.
 */
export const CHECKPOINT_HOLD_FACTOR = 2.5;

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Bytes of one checkpoint: every parameter and its optimizer slots once, float32. */
export function checkpointBytes(run: Pick<RunShape, 'model' | 'config'>): number {
  const slots = 2 + (run.config.optimizer?.use_ema ? 1 : 0); // accumulated_grad, accumulated_delta_var (+ EMA average)
  return run.model.params.reduce((n, p) => n + prod(p.shape) * 4 * (1 + slots), 0) + 8;
}

/**
 * One line when this process cannot hold a checkpoint beside the workers (CPU workers share its
 * memory; GPU workers keep their state on the GPU), else null.
 */
export function checkpointMemoryProblem(
  run: Pick<RunShape, 'model' | 'config'>,
  workers: WorkerMemory,
  devices: DeviceInfo[],
  free: number,
): string | null {
  const onHost = devices.filter((d) => d.kind !== 'GPU').length * workers.total;
  const need = CHECKPOINT_HOLD_FACTOR * checkpointBytes(run);
  if (onHost + need <= free) return null;
  return (
    `the run's checkpoints need about ${formatBytes(need)} in this process (every parameter and optimizer slot, gathered ` +
    `from the workers and written in one transaction) beside the workers' ${formatBytes(onHost)}, but there is ` +
    `${formatBytes(free)} of free memory; a smaller model would fit, or this machine with more free memory`
  );
}
