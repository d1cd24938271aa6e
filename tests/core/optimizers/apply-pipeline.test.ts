// apply_gradients as a chain of steps: the optimizer's chain is Keras's order, a call held back for
// accumulation runs only the steps before it and EMA, and each step gets what the one before it made.
// A recording subclass wraps the optimizer's own steps; expected values are worked out in float64 here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../../helpers/tf';
import { Adadelta, Layout, ShardedVariable, type AdadeltaArgs } from '../../../src/core';
import type { ApplyCall, ApplyStep } from '../../../src/core/optimizers/apply-pipeline';
import type { Grad } from '../../../src/core/optimizers/gradients';

await useCpuBackend();

interface Visit {
  step: string;
  /** The gradient the step was given (none for a step that runs on every call). */
  grad?: number[];
  /** The variable's value when the step began. */
  value: number[];
}

const values = (g: Grad) =>
  Array.from(g.kind === 'dense-host' ? g.data : g.kind === 'sparse' ? g.sparse.values : g.tensor.dataSync());

/** Adadelta whose steps report every visit, in the order they run. */
class RecordingAdadelta extends Adadelta {
  readonly visits: Visit[] = [];

  protected override applySteps(): ApplyStep[] {
    return super.applySteps().map((s): ApplyStep => {
      const value = (vars: readonly ShardedVariable[]) => Array.from(vars[0]!.readLocal());
      if (s.everyCall) {
        return {
          ...s,
          update: (state: unknown, call: ApplyCall) => (
            this.visits.push({ step: s.name, value: value(call.vars) }),
            s.update(state, call)
          ),
        };
      }
      return {
        ...s,
        update: (grads, state, call) => {
          this.visits.push({ step: s.name, grad: values(grads[0]!), value: value(call.vars) });
          return s.update(grads, state, call);
        },
      };
    });
  }
}

function variable(opt: Adadelta, init: number[]): ShardedVariable {
  return new ShardedVariable({
    name: 'x',
    globalShape: [init.length],
    layout: Layout.replicated(opt.mesh, 1),
    deviceId: 0,
    initialValue: init,
  });
}

const close = (actual: number[] | undefined, expected: number[], what: string) => {
  assert.ok(actual, `${what}: no gradient recorded`);
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) =>
    assert.ok(Math.abs(a - expected[i]!) <= 1e-6 * Math.max(1, Math.abs(expected[i]!)), `${what}[${i}]: ${a} vs ${expected[i]}`),
  );
};

test("the chain is Keras's order; steps fixed off at construction are left out", () => {
  const all: AdadeltaArgs = { lossScaleFactor: 4, gradientAccumulationSteps: 2, clipnorm: 1, weightDecay: 0.5, useEma: true };
  const full = new Adadelta(all);
  const plain = new Adadelta();
  assert.deepEqual(full.applyStepNames, [], 'no chain before build');
  full.build([variable(full, [1, 2])]);
  plain.build([variable(plain, [1, 2])]);
  assert.deepEqual(full.applyStepNames, ['unscale', 'accumulate', 'clip', 'dedupe', 'decay', 'update', 'ema']);
  // Clipping and weight decay stay in the chain: Keras lets a user set them after construction.
  assert.deepEqual(plain.applyStepNames, ['clip', 'dedupe', 'decay', 'update']);
});

test('a held call runs unscale, accumulate and ema; the N-th hands each step what the one before made', async () => {
  const opt = new RecordingAdadelta({
    learningRate: 0.1,
    lossScaleFactor: 4,
    gradientAccumulationSteps: 2,
    clipnorm: 1,
    weightDecay: 0.5,
    useEma: true,
  });
  const x = variable(opt, [1, 2]);
  await opt.applyGradients([[Float32Array.of(12, 16), x]]);
  assert.deepEqual(
    opt.visits.map((v) => v.step),
    ['unscale', 'accumulate', 'ema'],
  );
  close(opt.visits[0]!.grad, [12, 16], 'unscale gets the scaled gradient');
  close(opt.visits[1]!.grad, [3, 4], 'accumulate gets it divided by 4');
  assert.deepEqual(Array.from(x.readLocal()), [1, 2], 'a held call leaves the variable');

  opt.visits.length = 0;
  await opt.applyGradients([[Float32Array.of(4, 8), x]]);
  assert.deepEqual(
    opt.visits.map((v) => v.step),
    ['unscale', 'accumulate', 'clip', 'dedupe', 'decay', 'update', 'ema'],
  );
  const [unscale, accumulate, clip, dedupe, decay, update, ema] = opt.visits;
  close(unscale!.grad, [4, 8], 'unscale');
  close(accumulate!.grad, [1, 2], 'accumulate');
  close(clip!.grad, [2, 3], 'clip gets the mean of [3, 4] and [1, 2]');
  const norm = Math.sqrt(13); // ‖[2, 3]‖ > clipnorm 1
  close(dedupe!.grad, [2 / norm, 3 / norm], 'dedupe gets the clipped gradient');
  close(update!.grad, [2 / norm, 3 / norm], 'update gets the same');
  close(decay!.value, [1, 2], 'decay sees the variable before anything changed it');
  close(update!.value, [1 - 1 * 0.5 * 0.1, 2 - 2 * 0.5 * 0.1], 'update sees the decayed variable');
  // EMA comes last: it sees the variable after the Adadelta step moved it against the gradient.
  ema!.value.forEach((v, i) => assert.ok(v < update!.value[i]!, `ema sees the updated variable (${v})`));
  assert.deepEqual(Array.from(x.readLocal()), ema!.value);
  assert.equal(opt.iterations, 1);
});
