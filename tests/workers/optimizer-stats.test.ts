// The workers' optimizer-state probe on 1–4 simulated devices (in-process collectives, one optimizer
// per device, SPMD), each variable sharded over the mesh or replicated: every device count gives the
// same figures (the sketches' quantiles exactly, the norms to float64 rounding), and they match a
// float64 computation over the whole variables within the sketch's accuracy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useCpuBackend } from '../helpers/tf';
import { seededValues } from '../helpers/reference-adadelta';
import { referenceFigures, within } from '../helpers/reference-optimizer-stats';
import { testSeed } from '../helpers/seed';
import { Adadelta, Layout, Mesh, ShardedVariable, UNSHARDED, createLocalCollectives } from '../../src/core';
import { insertShard } from '../../src/core/dtensor/shard';
import { RELATIVE_ACCURACY, MIN_MAGNITUDE } from '../../src/core/statistics/log-buckets';
import { STEP_QUANTILES, WEIGHT_QUANTILES } from '../../src/core/statistics/adadelta-state';
import { OptimizerStats } from '../../src/workers/optimizer-stats';
import type { OptimizerVariableStats } from '../../src/shared/api';

await useCpuBackend();

const VARS = [
  { path: 'dense.kernel', shape: [9, 6], specs: ['batch', UNSHARDED] }, // 9 rows over 2/3/4 devices: uneven
  { path: 'dense.bias', shape: [6], specs: [UNSHARDED] }, // replicated: counted once
  { path: 'dense_1.kernel', shape: [6, 5], specs: [UNSHARDED, 'batch'] },
];
const EPSILON = 1e-6;
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Three steps on `devices` simulated devices; the probe measures the third. Returns its figures and the globals. */
async function measure(devices: number, seed: number) {
  const mesh = Mesh.parse(`batch=${devices}`);
  const collectives = createLocalCollectives(mesh.deviceIds);
  const ranks = mesh.deviceIds.map((deviceId, k) => {
    const vars = VARS.map(
      (v, i) =>
        new ShardedVariable({
          name: v.path,
          globalShape: v.shape,
          layout: new Layout(v.specs, mesh),
          deviceId,
          initialValue: seededValues(seed + i, size(v.shape), -0.5, 0.5),
        }),
    );
    const optimizer = new Adadelta({ learningRate: 1, rho: 0.9, epsilon: EPSILON, mesh, collectives: collectives[k] });
    optimizer.build(vars);
    const probe = new OptimizerStats(
      vars.map((variable, i) => ({ path: VARS[i]!.path, variable })),
      optimizer,
      3,
      deviceId,
    );
    return { vars, optimizer, probe, collectives: collectives[k]! };
  });
  let figures: OptimizerVariableStats[][] = [];
  let before: Float64Array[] = [];
  for (let step = 0; step < 3; step++) {
    const grads = VARS.map((v, i) => Float32Array.from(seededValues(seed + 100 * (step + 1) + i, size(v.shape), -2, 2)));
    const due = ranks.map((r) => r.probe.due(step));
    assert.deepEqual(
      due,
      ranks.map(() => step === 2),
      'every device measures the same steps',
    );
    if (due[0])
      before = VARS.map((v, i) =>
        global(
          ranks.map((r) => r.vars[i]!),
          v.shape,
        ),
      );
    const probes = ranks.map((r) => (due[0] ? r.probe.begin() : null));
    await Promise.all(ranks.map((r) => r.optimizer.applyGradients(r.vars.map((v, i) => [grads[i]!, v] as const))));
    if (!due[0]) continue;
    figures = await Promise.all(ranks.map((r, k) => r.probe.reduce(probes[k]!.measure(), r.collectives, devices)));
  }
  const after = VARS.map((v, i) => ({
    param: global(
      ranks.map((r) => r.vars[i]!),
      v.shape,
    ),
    eg: global(
      ranks.map((r) => r.optimizer.slotsOf(r.vars[i]!).accumulatedGrad),
      v.shape,
    ),
    ed: global(
      ranks.map((r) => r.optimizer.slotsOf(r.vars[i]!).accumulatedDeltaVar),
      v.shape,
    ),
  }));
  return { figures, before, after };
}

/** A variable's global value from the devices' shards. */
function global(shards: ShardedVariable[], shape: number[]): Float64Array {
  const out = new Float64Array(size(shape)).fill(NaN);
  for (const v of shards) insertShard(out, shape, v.slices, Float64Array.from(v.readLocal()));
  return out;
}

test('optimizer-state figures: the same on 1, 2, 3 and 4 devices, and the float64 figures of the whole variables', async () => {
  const seed = testSeed('optimizer-stats probe');
  const one = await measure(1, seed);
  for (const devices of [2, 3, 4]) {
    const many = await measure(devices, seed);
    for (const [k, perDevice] of many.figures.entries())
      assert.deepEqual(perDevice, many.figures[0], `device ${k} of ${devices} holds the reduced figures`);
    many.figures[0]!.forEach((f, i) => {
      const o = one.figures[0]![i]!;
      assert.equal(f.size, size(VARS[i]!.shape), `${f.path}: every element counted once`);
      assert.deepEqual([f.stepSize, f.weightQuantiles, f.weightHistogram], [o.stepSize, o.weightQuantiles, o.weightHistogram]);
      for (const key of ['accumulatedGradNorm', 'accumulatedDeltaNorm', 'updateRatio', 'paramNorm'] as const)
        assert.ok(within(f[key], o[key], 1e-12), `${f.path} ${key} on ${devices} devices: ${f[key]} vs ${o[key]}`);
    });
  }
  one.figures[0]!.forEach((f, i) => {
    const a = one.after[i]!;
    const ref = referenceFigures(a.param, one.before[i]!, a.eg, a.ed, EPSILON);
    assert.ok(within(f.accumulatedGradNorm, ref.accumulatedGradNorm, 1e-12), `${f.path} ‖E[g²]‖`);
    assert.ok(within(f.accumulatedDeltaNorm, ref.accumulatedDeltaNorm, 1e-12), `${f.path} ‖E[Δx²]‖`);
    assert.ok(within(f.updateRatio, ref.updateRatio, 1e-12), `${f.path} update ratio`);
    assert.ok(f.updateRatio > 0, 'the third step moved the parameters');
    STEP_QUANTILES.forEach((q, j) =>
      assert.ok(within(f.stepSize[j]!, ref.stepSize(q), RELATIVE_ACCURACY), `${f.path} step size q=${q}`),
    );
    WEIGHT_QUANTILES.forEach((q, j) =>
      assert.ok(within(f.weightQuantiles[j]!, ref.weights(q), RELATIVE_ACCURACY, MIN_MAGNITUDE), `${f.path} weights q=${q}`),
    );
  });
});
