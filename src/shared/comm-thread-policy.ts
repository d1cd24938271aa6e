/**
 * Whether a device worker runs its ring on a communication thread, and why: one decision for the
 * worker (which acts on it) and `dtrain doctor` (which reports it). Pure: the caller passes the
 * DTRAIN_COMM_THREAD setting and what it knows of the machine.
 */

/** What decides whether a worker joins through a communication thread. */
export interface CommThreadContext {
  /** Device workers on this machine (the mesh size: every device of a mesh is local). */
  workers: number;
  /** The worker's tfjs backend: 'tensorflow' computes off the CPU (CUDA), wasm and cpu on it. */
  backend: string;
  /** CPU cores this process may use (os.availableParallelism()). */
  cores: number;
  /**
   * The model's forward and backward passes all-reduce while they run (BatchNormalization's global
   * batch statistics): only a communication thread can progress a collective inside a synchronous pass.
   */
  syncedPasses?: boolean;
}

/**
 * `setting` is DTRAIN_COMM_THREAD: '1' / '0' force the thread on / off. By default (unset or 'auto')
 * it is on when there is something to exchange (2 workers or more) and a core is free for it: the
 * backend computes off the CPU, or the machine has at least two cores per worker. The ring's copies
 * and adds are CPU work; where every core already runs a worker's model step, a thread doing them takes
 * that core from the step, and measured on 2 cores with 2 workers the step was slower with it
 * (docs/overlap.md).
 */
export function commThreadDecision(setting: string | undefined, ctx: CommThreadContext): { on: boolean; why: string } {
  if (setting === '0' || setting === '1') return { on: setting === '1', why: `DTRAIN_COMM_THREAD=${setting}` };
  if (ctx.workers < 2) return { on: false, why: 'one worker: nothing to exchange' };
  if (ctx.syncedPasses)
    return { on: true, why: "the model's BatchNormalization all-reduces batch statistics inside forward and backward" };
  if (ctx.backend === 'tensorflow') return { on: true, why: 'the model step computes off the CPU' };
  const on = ctx.cores >= 2 * ctx.workers;
  return {
    on,
    why: `${ctx.cores} cores for ${ctx.workers} workers; the thread is used from 2 cores per worker, DTRAIN_COMM_THREAD=1 forces it`,
  };
}
