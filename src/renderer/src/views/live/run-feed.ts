/**
 * Where a run page's data comes from: the run's detail and metric history at load, then engine events
 * (buffered while the history loads, applied after it in order), or, for a run another process
 * trains, polling of the database. A run that does not exist is reported as such.
 */
import type { MetricPoint, RendererApi, RunDetail, TrainerEvent } from '../../../../shared/api';
import { ApiError } from '../../../../shared/errors';
import { followElsewhere } from './follow-elsewhere';

export interface RunFeedHandlers {
  detail(d: RunDetail): void;
  points(p: MetricPoint[]): void;
  event(e: TrainerEvent): void;
  notFound(message: string): void;
  failed(message: string): void;
}

export interface RunFeed {
  /** Fetches the detail again (after a status change, a checkpoint, an edit). */
  refresh(): Promise<void>;
  dispose(): void;
}

export function startRunFeed(api: RendererApi, runId: string, lastStep: () => number, on: RunFeedHandlers): RunFeed {
  let loaded = false;
  const buffered: TrainerEvent[] = [];
  const follower = followElsewhere(api, runId, lastStep, on.points, (d) => detail(d));
  const detail = (d: RunDetail): void => {
    on.detail(d);
    follower.sync(d);
  };
  const stop = api.onEvent((e) => {
    if (!('runId' in e) || e.runId !== runId) return;
    if (loaded) on.event(e);
    else buffered.push(e);
  });
  const load = async (): Promise<void> => {
    const [d, points] = await Promise.all([api.getRun(runId), api.getMetrics(runId)]);
    detail(d);
    on.points(points);
    loaded = true;
    for (const e of buffered.splice(0)) on.event(e);
  };
  load().catch((err: Error) =>
    err instanceof ApiError && err.code === 'not-found' ? on.notFound(err.message) : on.failed(err.message),
  );
  return {
    refresh: async () => detail(await api.getRun(runId)),
    dispose() {
      stop();
      follower.dispose();
    },
  };
}
