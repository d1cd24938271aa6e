/**
 * A run trained by another dtrain process sends this engine no events: follow it by polling the
 * database (new metric rows, the run's status) until that process lets go of it.
 */
import type { MetricPoint, RendererApi, RunDetail, RunSummary } from '../../../../shared/api';
import { h } from '../../dom';

export const POLL_MS = 1500;

/** "elsewhere" next to the status badge, naming the process. */
export function elsewhereBadge(run: RunSummary, testid = 'run-elsewhere'): HTMLElement | null {
  if (!run.elsewhere) return null;
  const { pid, host } = run.elsewhere;
  return h(
    'span',
    { class: 'badge badge-elsewhere', 'data-testid': testid, title: `Trained by dtrain pid ${pid} on ${host}` },
    'trained elsewhere',
  );
}

export interface Follower {
  /** Starts or stops polling as the run's detail says. */
  sync(detail: RunDetail): void;
  dispose(): void;
}

export function followElsewhere(
  api: RendererApi,
  runId: string,
  lastStep: () => number,
  onPoints: (p: MetricPoint[]) => void,
  onDetail: (d: RunDetail) => void,
): Follower {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let active = false;
  const poll = async (): Promise<void> => {
    try {
      // One step back: an evaluation merges its val_* figures into a step already written.
      onPoints(await api.getMetrics(runId, Math.max(-1, lastStep() - 1)));
      onDetail(await api.getRun(runId));
    } catch {
      // A dropped connection or a deleted run: the next poll (or the reload) tells.
    }
    if (active) timer = setTimeout(() => void poll(), POLL_MS);
  };
  return {
    sync(detail) {
      const want = detail.elsewhere !== undefined;
      if (want && !active) {
        active = true;
        timer = setTimeout(() => void poll(), POLL_MS);
      } else if (!want && active) {
        active = false;
        clearTimeout(timer);
      }
    },
    dispose() {
      active = false;
      clearTimeout(timer);
    },
  };
}
