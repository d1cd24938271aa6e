/**
 * Every Keras 3 fixture archive as a run, with real worker processes on 1 and 2 devices: the run's
 * first batch is the data's first (`shuffle: false`), the optimizer's iterations continue from the
 * archive's, and after the case's 4 batches weights, every optimizer variable and the losses match
 * what Keras reached (`after_more_steps`) within 1e-4 of the change from `at_save`. The run's
 * exported archive then holds exactly the run's final state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpz } from '../../../src/core/data/index';
import { readKerasArchive } from '../../../src/engine/keras/archive';
import { optimizerVars } from '../../../src/engine/keras/weights-file';
import type { RunConfig } from '../../../src/shared/api';
import { relativeToChange } from '../../helpers/keras-live';
import { finalState, withService } from '../service/helpers';
import { fixtureCases, flat, shapeOf, skipReason, type FixtureCase } from './fixture-cases';
import { computePaths } from '../../helpers/compute-paths';

const TOL = 1e-4;
const cases = fixtureCases();
if (cases.length === 0) test('Keras 3 fixture archives', { skip: skipReason }, () => {});

/** The case's batches, in order, as an .npz. */
function writeBatches(c: FixtureCase, file: string): void {
  const xs = c.batches.flatMap((b) => flat(b.x));
  const ys = c.batches.flatMap((b) => flat(b.y));
  const xShape = [c.batches.length * shapeOf(c.batches[0]!.x)[0]!, ...shapeOf(c.batches[0]!.x).slice(1)];
  const yShape = [c.batches.length * shapeOf(c.batches[0]!.y)[0]!, ...shapeOf(c.batches[0]!.y).slice(1)];
  const intX = c.name === 'embedding';
  writeFileSync(
    file,
    encodeNpz([
      { name: 'x', values: intX ? Int32Array.from(xs) : Float32Array.from(xs), dtype: intX ? 'int32' : 'float32', shape: xShape },
      {
        name: 'y',
        values: c.loss === 'mse' ? Float32Array.from(ys) : Int32Array.from(ys),
        dtype: c.loss === 'mse' ? 'float32' : 'int32',
        shape: yShape,
      },
    ]),
  );
}

const kerasName = (weight: string) => weight.replace(/^(sequential|functional)\//, '');
const slotName = (weight: string, slot: string) => `adadelta/${weight.replaceAll('/', '_')}_${slot}`;

// Both matmul paths a CPU user lands on: OpenBLAS through the native addon, and the wasm kernels
// (these runs read stale kernels there before; tests/helpers/compute-paths.ts has every path).
const kernels = computePaths().filter((p) => p.name === 'wasm+blas host' || p.name === 'wasm host');

for (const c of cases) {
  for (const mesh of ['batch=1', 'batch=2'])
    for (const path of kernels) {
      test(
        `${c.name} on ${mesh}, ${path.name}: the run continues the archive to Keras's numbers`,
        { skip: path.skip, timeout: 300_000 },
        async () => {
          await withService(async (service, dir) => {
            const data = join(dir, 'batches.npz');
            writeBatches(c, data);
            const config = {
              name: c.name,
              model: { type: 'keras', path: c.archivePath },
              data: {
                kind: 'npz',
                path: data,
                x: 'x',
                y: 'y',
                shuffle: false,
                task: c.loss === 'mse' ? 'regression' : 'classification',
              },
              mesh,
              steps: c.batches.length,
              globalBatchSize: shapeOf(c.batches[0]!.x)[0]!,
              seed: 1,
              checkpointEvery: 0,
              ...path.compute, // the path as the run's own choices: backend, nativeBlas, commThread, variableStorage
            } as unknown as RunConfig;
            // npz data with shuffle false is part of this build: a data issue is a failure, not a skip.
            assert.deepEqual(await service.validateRunConfig(config), []);
            const { runId } = await service.startRun(config);
            assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
            const ours = finalState(dir, runId);
            assert.equal(ours.step, c.batches.length, "the run's own steps count from 0");
            assert.equal(
              ours.iterations,
              c.steps_in_archive + c.batches.length,
              "the optimizer's iterations continue from the archive's",
            );

            for (const w of Object.keys(c.at_save.weights)) {
              const r = relativeToChange(
                ours.values.get(`params/${kerasName(w)}`)!,
                flat(c.after_more_steps.weights[w]!),
                flat(c.at_save.weights[w]!),
              );
              assert.ok(r < TOL, `${w}: off by ${r.toExponential(2)} of Keras's change`);
              for (const slot of [
                'accumulated_grad',
                'accumulated_delta_var',
                ...(c.optimizer_config.use_ema ? ['average'] : []),
              ]) {
                const k = slotName(w, slot);
                const rs = relativeToChange(
                  ours.values.get(`optimizer/adadelta/${slot}/${kerasName(w)}`)!,
                  flat(c.after_more_steps.optimizer[k]!),
                  flat(c.at_save.optimizer[k]!),
                );
                assert.ok(rs < TOL, `${k}: off by ${rs.toExponential(2)} of Keras's change`);
              }
            }
            const losses = (await service.getMetrics(runId)).map((p) => p.loss);
            c.after_more_steps.losses.forEach((l, i) =>
              assert.ok(Math.abs(losses[i]! - l) <= TOL * Math.abs(l), `loss ${i}: ${losses[i]} vs Keras ${l}`),
            );

            // Exported, the archive holds the run's final state in Keras's order.
            const file = join(dir, 'out.keras');
            await service.exportKeras(runId, file);
            const { readFileSync } = await import('node:fs');
            const archive = await readKerasArchive(new Uint8Array(readFileSync(file)), file);
            const saved = optimizerVars(archive.weights, file)!;
            const names = Object.keys(c.after_more_steps.optimizer);
            assert.equal(saved.vars.length, names.length);
            assert.equal(Number(saved.vars[0]!.data[0]), c.steps_in_archive + c.batches.length);
            names.forEach((k, i) => {
              if (i === 0) return;
              const m = /^adadelta\/(.+)_(average|accumulated_grad|accumulated_delta_var)$/.exec(k);
              const expected = m
                ? ours.values.get(
                    `optimizer/adadelta/${m[2]}/${kerasName(Object.keys(c.at_save.weights).find((w) => w.replaceAll('/', '_') === m[1])!)}`,
                  )!
                : [Math.fround(c.optimizer_config.learning_rate as number)];
              assert.deepEqual(Array.from(saved.vars[i]!.data, Number), expected.map(Math.fround), k);
            });
          });
        },
      );
    }
}
