/**
 * Whether a device worker runs its ring on a communication thread, and why: one decision for the
 * worker (which acts on it) and `dtrain doctor` (which reports it). Pure: the caller passes the
 * run's commThread choice (recorded with the run; DTRAIN_COMM_THREAD sets it for new runs) and what
 * it knows of the machine.
 */
import type { CommThreadChoice } from './api';

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
 * 'on' / 'off' force the thread on / off (DTRAIN_COMM_THREAD=1 / 0 for a new run). With 'auto' it is on when there is something to exchange (2 workers or more) and a core is free for it: the
 * backend computes off the CPU, or the machine has at least two cores per worker. The ring's copies
 * and adds are CPU work; where every core already runs a worker's model step, a thread doing them takes
 * that core from the step, and measured on 2 cores with 2 workers the step was slower with it
 * (docs/overlap.md).
 */
export function commThreadDecision(choice: CommThreadChoice, ctx: CommThreadContext): { on: boolean; why: string } {
  if (choice !== 'auto')
    return {
      on: choice === 'on',
      why: `forced ${choice} (commThread "${choice}", DTRAIN_COMM_THREAD=${choice === 'on' ? 1 : 0})`,
    };
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
