// EMA (docs/optimizer-contract.md, "EMA"), which Keras's DTensor mode leaves frozen and we run: the
// average follows avg ← m·avg + (1−m)·v after each update, v is overwritten on steps freq, 2·freq, …, and
// finalizeVariableValues copies the averages in. Checked against a float64 re-computation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCpuBackend } from '../../helpers/tf';
import { refDenseStep, refInit } from '../../helpers/reference-adadelta';
import { Adadelta, Layout, ShardedVariable } from '../../../src/core';

const tf = await useCpuBackend();
const near = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

for (const kind of ['tensor', 'host'] as const) {
  test(`average tracks the new values and overwrites every 3rd step (${kind})`, async () => {
    const opt = new Adadelta({ learningRate: 1, useEma: true, emaMomentum: 0.5, emaOverwriteFrequency: 3 });
    const target =
      kind === 'tensor'
        ? tf.variable(tf.tensor1d([2, -1]))
        : new ShardedVariable({
            name: 'x',
            globalShape: [2],
            layout: Layout.replicated(opt.mesh, 1),
            deviceId: 0,
            initialValue: [2, -1],
          });
    const values = () => (target instanceof ShardedVariable ? Array.from(target.readLocal()) : Array.from(target.dataSync()));
    const ref = refInit([2, -1]);
    let avg = [2, -1];
    for (let step = 1; step <= 7; step++) {
      await opt.applyGradients([[tf.tensor1d([1, -0.5]), target]]);
      refDenseStep(ref, [1, -0.5], 1, 0.95, 1e-7);
      avg = avg.map((a, i) => 0.5 * a + 0.5 * ref.x[i]!);
      if (step % 3 === 0) ref.x = [...avg];
      const average = opt.variables[1] as ShardedVariable;
      Array.from(average.readLocal()).forEach((a, i) => near(a, avg[i]!));
      values().forEach((x, i) => near(x, ref.x[i]!));
    }
  });
}

test('finalizeVariableValues copies the average in with EMA, and does nothing without', async () => {
  const v = tf.variable(tf.tensor1d([1, 1]));
  const opt = new Adadelta({ learningRate: 1, useEma: true, emaMomentum: 0.9 });
  for (let i = 0; i < 3; i++) await opt.applyGradients([[tf.tensor1d([1, 1]), v]]);
  const average = Array.from((opt.variables[1] as ShardedVariable).readLocal());
  assert.notDeepEqual(Array.from(v.dataSync()), average);
  opt.finalizeVariableValues([v]);
  assert.deepEqual(Array.from(v.dataSync()), average);

  const w = tf.variable(tf.tensor1d([1, 1]));
  const plain = new Adadelta({ learningRate: 1 });
  await plain.applyGradients([[tf.tensor1d([1, 1]), w]]);
  const before = Array.from(w.dataSync());
  plain.finalizeVariableValues([w]);
  assert.deepEqual(Array.from(w.dataSync()), before);
});
