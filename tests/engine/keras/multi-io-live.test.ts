/**
 * A Keras model with two inputs and two outputs against live Keras 3 (JAX): a numeric vector and a
 * token sequence through an Embedding in; a regression output (mse) and a classification output
 * (sparse categorical crossentropy from logits) out, `loss_weights` 2.0 and 0.7, per-output metrics,
 * Adadelta (tests/helpers/keras_multi_io.py). Keras trains it 2 steps and saves it, then continues 3
 * steps on dict inputs and targets; dtrain continues the archive from an .npz with one key per input
 * and target (`"x": {"numeric": …, "body": …}`, `"y": {…}`), on 1 device in process and on 2 real
 * worker processes. Every figure Keras reports per step (loss, priority_loss, department_loss,
 * department_accuracy, priority_mae) and every variable and Adadelta slot must agree to 1e-4 of
 * Keras's change; the archive dtrain exports loads in Keras, which trains on from it as from its own.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerProjectKernels, selectBackend } from '../../../src/core/tfjs';
import { readKerasArchive, type KerasArchive } from '../../../src/engine/keras/archive';
import { type createTrainerService } from '../../../src/engine/service/index';
import type { RunConfig } from '../../../src/shared/api';
import { REPO_ROOT, pythonWithKeras } from '../../helpers/external';
import { compareFigures, scriptReferenceDir } from '../../helpers/keras-script-reference';
import { compareArchives } from '../../helpers/keras-cases';
import { archiveTrainer, trainerArchive } from '../../helpers/keras-case-run';
import { suiteService } from '../service/helpers';
import { computePaths } from '../../helpers/compute-paths';
import { loadNativeBlas } from '../../../src/workers/native-blas';

const SCRIPT = join(REPO_ROOT, 'tests', 'helpers', 'keras_multi_io.py');
const ENV = { ...process.env, KERAS_BACKEND: 'jax', JAX_PLATFORMS: 'cpu', PYTHONWARNINGS: 'ignore' };

interface Reference {
  dir: string;
  batch: number;
  steps: number;
  /** Keras's figures at each continued step. */
  figures: Record<string, number>[];
  before: KerasArchive;
  after: KerasArchive;
}

const referenceDir = () => scriptReferenceDir(SCRIPT, 'dtrain-keras-multi-io', 'multi_io.json', ENV);

async function loadReference(dir: string): Promise<Reference> {
  const meta = JSON.parse(readFileSync(join(dir, 'multi_io.json'), 'utf8')) as Omit<Reference, 'dir' | 'before' | 'after'>;
  const read = async (f: string) => readKerasArchive(new Uint8Array(readFileSync(join(dir, f))), f);
  return { ...meta, dir, before: await read('multi_io.keras'), after: await read('multi_io.after.keras') };
}

/** The run a Keras user writes for `fit({"numeric": …, "body": …}, {"priority": …, "department": …})`. */
function runConfig(ref: Reference, mesh: string, extra: Record<string, unknown> = {}): RunConfig {
  return {
    name: 'multi-io',
    model: { type: 'keras', path: join(ref.dir, 'multi_io.keras') },
    data: {
      kind: 'npz',
      path: join(ref.dir, 'multi_io.npz'),
      x: { numeric: 'numeric', body: 'body' },
      y: { priority: 'priority', department: 'department' },
      shuffle: false,
    },
    mesh,
    steps: ref.steps,
    globalBatchSize: ref.batch,
    seed: 1,
    checkpointEvery: 0,
    ...extra,
  } as unknown as RunConfig;
}

/** The continuation by one in-process DeviceTrainer (the worker's step), its figures checked, exported as an archive. */
async function continueInProcess(c: Reference, storage: 'host' | 'tensor', label: string): Promise<KerasArchive> {
  const { trainer, resolved } = await archiveTrainer(runConfig(c, 'batch=1'), c.batch, storage);
  const figures: Record<string, number>[] = [];
  for (let t = 0; t < c.steps; t++) {
    const r = await trainer.step(t);
    figures.push({ loss: r.loss, ...r.metrics });
  }
  compareFigures(label, figures, c.figures);
  return trainerArchive(trainer, resolved.config, c.steps);
}

const ref = referenceDir();
const skip = 'reason' in ref ? ref.reason : undefined;
if (skip) process.stdout.write(`skipping the multi-input/output Keras tests: ${skip}\n`);

describe('two inputs and two outputs continued from a Keras archive', { skip, timeout: 600_000 }, () => {
  let c: Reference;
  before(async () => {
    c = await loadReference((ref as { dir: string }).dir);
  });

  // The kernels and storages a user's worker can land on (the communication thread: the 2-worker runs below).
  const paths = computePaths().filter((p) => p.compute.commThread === 'off');
  for (const path of paths)
    test(`1 device in process, ${path.name}: every figure, weight and slot as Keras`, { skip: path.skip }, async () => {
      const { backend, nativeBlas, variableStorage } = path.compute;
      const blas = nativeBlas ? loadNativeBlas() : null;
      await selectBackend([backend as 'wasm' | 'cpu'], blas?.available ? { native: blas.native } : {});
      assert.equal(tf.getBackend(), backend);
      try {
        const archive = await continueInProcess(c, variableStorage as 'host' | 'tensor', path.name);
        const { worst } = compareArchives(path.name, archive, c.after, c.before);
        process.stdout.write(
          `${path.name}: every variable and slot within ${Math.max(...worst.values()).toExponential(2)} of Keras's change\n`,
        );
      } finally {
        registerProjectKernels();
      }
    });

  describe('2 real worker processes', () => {
    let service: Awaited<ReturnType<typeof createTrainerService>>;
    let work = '';
    suiteService('dtrain-multi-io-', (s, dir) => ((service = s), (work = dir)));

    test('batch=2: the same figures, weights and slots; the export loads in Keras and trains on', async () => {
      const { runId } = await service.startRun(runConfig(c, 'batch=2'));
      assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
      const points = await service.getMetrics(runId);
      compareFigures(
        '2 workers',
        points.map((p) => ({ loss: p.loss, ...p.metrics })),
        c.figures,
      );
      const file = join(work, 'exported.keras');
      await service.exportKeras(runId, file);
      const archive = await readKerasArchive(new Uint8Array(readFileSync(file)), file);
      const { worst } = compareArchives('2 workers', archive, c.after, c.before);
      process.stdout.write(
        `2 workers: every variable and slot within ${Math.max(...worst.values()).toExponential(2)} of Keras's change\n`,
      );

      const keras = pythonWithKeras() as { python: string };
      const r = spawnSync(
        keras.python,
        [SCRIPT, 'load', file, join(c.dir, 'multi_io.after.keras'), join(c.dir, 'multi_io.npz'), String(c.batch)],
        { env: ENV, encoding: 'utf8', timeout: 600_000 },
      );
      assert.equal(r.status, 0, r.stderr.slice(-3000));
      const loaded = JSON.parse(r.stdout) as {
        ours: Record<string, number>;
        keras: Record<string, number>;
        worst_vs_step_change: number;
      };
      compareFigures('Keras training on from our export', [loaded.ours], [loaded.keras]);
      assert.ok(
        loaded.worst_vs_step_change < 1e-3,
        `after one more Keras step, ${loaded.worst_vs_step_change} of its change apart`,
      );
      process.stdout.write(`Keras trained on from the export: ${JSON.stringify(loaded.ours)}\n`);
    });

    test('checkpointed on 2 workers (cpu, tensor storage, communication thread), resumed on 1: as Keras', async () => {
      const path = { backend: 'cpu', nativeBlas: false, variableStorage: 'tensor', commThread: 'on' };
      const { runId } = await service.startRun(runConfig(c, 'batch=2', { ...path, steps: 1, checkpointEvery: 1 }));
      assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
      await service.resumeRun(runId, { steps: c.steps, mesh: 'batch=1' });
      assert.equal(await service.resumedFrom(runId), 1, 'the resume continues from the step-1 checkpoint');
      assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
      const points = await service.getMetrics(runId);
      compareFigures(
        'resumed',
        points.map((p) => ({ loss: p.loss, ...p.metrics })),
        c.figures,
      );
      const file = join(work, 'resumed.keras');
      await service.exportKeras(runId, file);
      const archive = await readKerasArchive(new Uint8Array(readFileSync(file)), file);
      const { worst } = compareArchives('resumed', archive, c.after, c.before);
      process.stdout.write(
        `resumed on 1 device: every variable and slot within ${Math.max(...worst.values()).toExponential(2)} of Keras's change\n`,
      );
    });
  });
});
