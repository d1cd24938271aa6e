// Adadelta's per-variable state as a user gets it: real worker processes on 1 device and on 2 (with
// sharded layouts, host and tensor storage), figures stored every 3 steps and streamed, each held to a
// float64 computation from the run's exported checkpoints (Keras archives read back as a run reads them).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assembleGlobal } from '../../../src/core/checkpoint/index';
import { MIN_MAGNITUDE, RELATIVE_ACCURACY } from '../../../src/core/statistics/log-buckets';
import { STEP_QUANTILES, WEIGHT_QUANTILES } from '../../../src/core/statistics/adadelta-state';
import { resolveKerasModel } from '../../../src/engine/keras/run-model';
import type { OptimizerStatsPoint, RunConfig, VariableStorage } from '../../../src/shared/api';
import { referenceFigures, within } from '../../helpers/reference-optimizer-stats';
import { IRIS_RUN, withService } from './helpers';

type Service = Parameters<Parameters<typeof withService>[0]>[0];

const RUN: RunConfig = { ...IRIS_RUN, steps: 6, checkpointEvery: 1, keepCheckpoints: 10, optimizerStatsEvery: 3 };
const EPSILON = RUN.optimizer.epsilon as number;

/** Params and slots (global, float64) of the run's checkpoint at `step`, through `exportRun`'s model.keras. */
async function exported(service: Service, dir: string, runId: string, step: number) {
  const { dir: out } = await service.exportRun(runId, join(dir, `export-${runId}-${step}`), { checkpointStep: step });
  const path = join(out, 'model.keras');
  assert.ok(readFileSync(path).length > 0);
  const { initial } = await resolveKerasModel({ ...RUN, model: { type: 'keras', path }, optimizer: undefined as never });
  const values = new Map(initial!.tensors.map((t) => [t.path, Float64Array.from(assembleGlobal(t))]));
  return (path: string) => {
    const keras = path.replace('.', '/');
    return {
      param: values.get(`params/${keras}`)!,
      eg: values.get(`optimizer/Adadelta/accumulated_grad/${keras}`)!,
      ed: values.get(`optimizer/Adadelta/accumulated_delta_var/${keras}`)!,
    };
  };
}

async function trainAndCheck(mesh: string, variableStorage: VariableStorage): Promise<OptimizerStatsPoint[]> {
  return withService(async (service, dir) => {
    const streamed: OptimizerStatsPoint[] = [];
    service.subscribe((e) => e.type === 'optimizer-stats' && streamed.push(...e.points));
    const { runId } = await service.startRun({ ...RUN, mesh, variableStorage });
    assert.equal(await service.waitForRun(runId), 'completed');
    const stored = await service.getOptimizerStats(runId);
    assert.deepEqual(
      stored.map((p) => p.step),
      [3, 6],
      'every 3rd step, labelled as its metric point',
    );
    assert.deepEqual(streamed, stored, 'the dashboard got the same figures live');
    assert.deepEqual(
      (await service.getOptimizerStats(runId, 3)).map((p) => p.step),
      [6],
    );
    for (const point of stored) {
      const now = await exported(service, dir, runId, point.step);
      const before = await exported(service, dir, runId, point.step - 1);
      assert.deepEqual(
        point.variables.map((v) => v.path),
        ['dense.kernel', 'dense.bias', 'dense_1.kernel', 'dense_1.bias'],
      );
      for (const f of point.variables) {
        const a = now(f.path);
        const ref = referenceFigures(a.param, before(f.path).param, a.eg, a.ed, EPSILON);
        const at = `${mesh} ${variableStorage} step ${point.step} ${f.path}`;
        assert.equal(f.size, a.param.length, at);
        assert.ok(within(f.accumulatedGradNorm, ref.accumulatedGradNorm, 1e-12), `${at} ‖E[g²]‖`);
        assert.ok(within(f.accumulatedDeltaNorm, ref.accumulatedDeltaNorm, 1e-12), `${at} ‖E[Δx²]‖`);
        assert.ok(within(f.updateRatio, ref.updateRatio, 1e-12), `${at} ‖Δθ‖/‖θ‖ ${f.updateRatio} vs ${ref.updateRatio}`);
        STEP_QUANTILES.forEach((q, j) =>
          assert.ok(within(f.stepSize[j]!, ref.stepSize(q), RELATIVE_ACCURACY), `${at} step q=${q}`),
        );
        WEIGHT_QUANTILES.forEach((q, j) =>
          assert.ok(within(f.weightQuantiles[j]!, ref.weights(q), RELATIVE_ACCURACY, MIN_MAGNITUDE), `${at} weights q=${q}`),
        );
        assert.equal(
          f.weightHistogram.counts.reduce((s, c) => s + c, 0),
          a.param.length,
        );
      }
    }
    return stored;
  });
}

test(
  'optimizer state on 1 and 2 worker processes matches float64 figures from the exported checkpoints',
  { timeout: 300_000 },
  async (t) => {
    const runs: OptimizerStatsPoint[][] = [];
    await t.test('1 device', async () => void runs.push(await trainAndCheck('batch=1', 'host')));
    await t.test('2 devices, sharded kernels, host storage', async () => void runs.push(await trainAndCheck('batch=2', 'host')));
    await t.test('2 devices, tensor storage', async () => void runs.push(await trainAndCheck('batch=2', 'tensor')));
    await t.test('the sharded runs give the one-device figures (to the float32 rounding of their training)', () => {
      const [one, ...sharded] = runs;
      for (const run of sharded)
        run!.forEach((point, i) =>
          point.variables.forEach((f, j) => {
            const o = one![i]!.variables[j]!;
            for (const key of ['accumulatedGradNorm', 'accumulatedDeltaNorm', 'updateRatio', 'paramNorm'] as const)
              assert.ok(within(f[key], o[key], 1e-4), `${f.path} ${key}: ${f[key]} vs ${o[key]}`);
            f.stepSize.forEach((v, k) => assert.ok(within(v, o.stepSize[k]!, 2 * RELATIVE_ACCURACY), `${f.path} step size ${k}`));
          }),
        );
    });
  },
);
