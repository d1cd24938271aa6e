/**
 * Keras's apply_gradients as a chain of small steps, the way optax chains gradient transformations:
 * each step is an `init` that makes its state for the tracked variables and an `update` that takes
 * this call's gradients and hands the next step its own. The optimizer lists the steps in Keras's
 * order (unscale → accumulate → clip → dedupe → decay → update → ema), so the order is one list that
 * a test can read, not branches; this module runs a list and keeps the tensor bookkeeping out of the steps.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ShardedVariable } from '../variables/sharded-variable';
import { disposeGrad, type Grad } from './gradients';

/** What a step knows about the call it is part of. */
export interface ApplyCall {
  /** The variables that have a gradient in this call, in order (`grads[i]` belongs to `vars[i]`). */
  readonly vars: readonly ShardedVariable[];
  /** Each of those variables' position in the tracked list: the index into per-variable state. */
  readonly tracked: readonly number[];
  /** The learning rate for this call, the float32 value of Keras's variable (a schedule's value now). */
  readonly learningRate: number;
  /** Applied steps before this call (with accumulation, floor(calls / N)). */
  readonly iterations: number;
  /** applyGradients calls before this one (Keras 3's `iteration` variable, which counts calls). */
  readonly callCount: number;
}

/** Makes one optimizer variable shaped and laid out like `like` (Keras's add_variable_from_reference). */
export type AddVariable = (like: ShardedVariable, name: string, initial?: ShardedVariable) => ShardedVariable;

/** A step that works on gradients; it does not run on a call whose gradients an earlier step held back. */
export interface GradientStep<S> {
  readonly name: string;
  readonly everyCall?: false;
  init(tracked: readonly ShardedVariable[], add: AddVariable): S;
  /** This call's gradients after the step, or null: held back (accumulated), later gradient steps skip. */
  update(grads: Grad[], state: S, call: ApplyCall): Grad[] | null | Promise<Grad[] | null>;
}

/** A step that runs on every call, held back or not (Keras 3 updates EMA on every call); it reads no gradients. */
export interface EveryCallStep<S> {
  readonly name: string;
  readonly everyCall: true;
  init(tracked: readonly ShardedVariable[], add: AddVariable): S;
  update(state: S, call: ApplyCall): void;
}

export type ApplyStep<S = unknown> = GradientStep<S> | EveryCallStep<S>;

/** A step with the state its init made. */
export interface InitializedStep<S = unknown> {
  readonly step: ApplyStep<S>;
  readonly state: S;
}

export function initSteps(steps: readonly ApplyStep[], tracked: readonly ShardedVariable[], add: AddVariable): InitializedStep[] {
  return steps.map((step) => ({ step, state: step.init(tracked, add) }));
}

/**
 * Runs `grads` through the steps in order. A gradient tensor a step replaces is disposed unless the
 * caller passed it in (`callerTensors`); so are the last gradients, once every step has run.
 */
export async function runSteps(
  steps: readonly InitializedStep[],
  grads: Grad[],
  call: ApplyCall,
  callerTensors: ReadonlySet<tf.Tensor>,
): Promise<void> {
  let live = grads;
  let held = false;
  try {
    for (const { step, state } of steps) {
      if (step.everyCall) {
        step.update(state, call);
        continue;
      }
      if (held) continue;
      const next = await step.update(live, state, call);
      if (next === null) {
        held = true;
        continue;
      }
      live.forEach((g, i) => g !== next[i] && disposeGrad(g, callerTensors));
      live = next;
    }
  } finally {
    live.forEach((g) => disposeGrad(g, callerTensors));
  }
}
