/**
 * The stall watchdog's decision, taken after a ping round (mesh-session.ts): pure, so every case can
 * be tested without timing. In lock-step every worker waits for the slowest, so the mesh is stalled
 * only when all of them have been silent (no finished step) for longer than the timeout and none
 * shows life: a finished step during the ping round, or an answer to the ping from a worker that kept
 * using CPU (it computes a step longer than the timeout; where CPU time cannot be read, the answer is
 * enough). Then the stalled one is the worker that did not answer (stopped, hung in native code),
 * else the longest silent (all waiting on each other: a deadlock), named with its silence.
 *
 * While the workers start (init, setup), a worker loading its data synchronously cannot answer a
 * ping: there, using CPU (or running now) is life whether it answers or not, and an answer counts
 * alone only where CPU time cannot be read. The workers judged are those still busy with the phase.
 */

export interface WorkerWatch {
  deviceId: number;
  /** Milliseconds since its last finished step, measured after the ping round. */
  silentMs: number;
  answeredPing: boolean;
  /** Share of a core it used over the last tick (null: unknown on this platform). */
  cpuShare: number | null;
  /** Running or waiting for a core right now (/proc state R or D). */
  working?: boolean;
}

export type WatchedPhase = 'training' | 'starting';

/** A worker using at least this share of a core is computing, not waiting. */
export const BUSY_CPU_SHARE = 0.25;

export type StallVerdict = { stalled: false; alive: boolean } | { stalled: true; deviceId: number; silentMs: number };

export function stallVerdict(workers: readonly WorkerWatch[], timeoutMs: number, phase: WatchedPhase = 'training'): StallVerdict {
  const stale = workers.filter((w) => w.silentMs > timeoutMs);
  if (stale.length === 0 || stale.length < workers.length) return { stalled: false, alive: false };
  const busy = (w: WorkerWatch) => w.working === true || (w.cpuShare !== null && w.cpuShare >= BUSY_CPU_SHARE);
  const alive = workers.some((w) =>
    phase === 'starting'
      ? busy(w) || (w.answeredPing && w.cpuShare === null)
      : w.answeredPing && (w.cpuShare === null || busy(w)),
  );
  if (alive) return { stalled: false, alive: true };
  const bySilence = [...stale].sort((a, b) => b.silentMs - a.silentMs);
  const culprit = bySilence.find((w) => !w.answeredPing) ?? bySilence[0]!;
  return { stalled: true, deviceId: culprit.deviceId, silentMs: culprit.silentMs };
}
