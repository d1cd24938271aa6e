/**
 * Continuing a live-Keras case (keras-cases.ts) in dtrain and exporting the result as a Keras archive:
 * in this process through one DeviceTrainer (the worker's step, on the test's backend), or as a run
 * of the service with real worker processes on any mesh. Both read the case's archive the way a user's
 * run does (`"model": {"type": "keras", "path": …}`) and its batches from an .npz in file order.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { encodeNpz } from '../../src/core/data/index';
import { Mesh } from '../../src/core/dtensor/mesh';
import { createLocalCollectives } from '../../src/core/collectives/local';
import { DeviceTrainer } from '../../src/workers/trainer';
import { resolveKerasModel } from '../../src/engine/keras/run-model';
import { withoutUnusedTargets } from '../../src/engine/keras/unused-targets';
import { buildModel } from '../../src/core/models/index';
import { runToKerasArchive } from '../../src/engine/keras/run-archive';
import { readKerasArchive, type KerasArchive } from '../../src/engine/keras/archive';
import { shardsForDevice, toCheckpointTensors } from '../../src/engine/coordinator/checkpoint-shards';
import type { RunConfig } from '../../src/shared/api';
import type { TrainSetup } from '../../src/shared/worker-protocol';
import { AUTO_COMPUTE } from '../../src/shared/settings';
import type { KerasCase } from './keras-cases';

export interface Continued {
  archive: KerasArchive;
  losses: number[];
}

/** The case's batches as an .npz (x and y in their own dtypes). */
function writeData(c: KerasCase, dir: string): string {
  const file = join(dir, `${c.name}.npz`);
  writeFileSync(
    file,
    encodeNpz([
      { name: 'x', values: c.x.values, dtype: c.x.dtype === 'int32' ? 'int32' : 'float32', shape: c.x.shape },
      { name: 'y', values: c.y.values, dtype: c.y.dtype === 'int32' ? 'int32' : 'float32', shape: c.y.shape },
    ]),
  );
  return file;
}

export function caseRunConfig(c: KerasCase, data: string, mesh: string): RunConfig {
  return {
    name: c.name,
    model: { type: 'keras', path: c.archivePath },
    data: {
      kind: 'npz',
      path: data,
      x: 'x',
      y: 'y',
      shuffle: false,
      task: c.y.dtype === 'int32' ? 'classification' : 'regression',
    },
    mesh,
    steps: c.steps,
    globalBatchSize: c.batch,
    seed: 1,
    checkpointEvery: 0,
  } as unknown as RunConfig;
}

/**
 * One in-process DeviceTrainer (the worker's step, on this process's backend) on a 1-device mesh,
 * holding the Keras archive's weights and optimizer state as a user's run starts from them.
 */
export async function archiveTrainer(
  config: RunConfig,
  batch: number,
  storage: 'host' | 'tensor' = 'host',
): Promise<{ trainer: DeviceTrainer; resolved: Awaited<ReturnType<typeof resolveKerasModel>> }> {
  const resolved = await resolveKerasModel(config);
  const initial = resolved.initial ?? assert.fail('the archive gave no initial state');
  const setup: TrainSetup = {
    model: resolved.config.model,
    // As a run's workers get it (RunShape.packedData): targets nothing reads left out.
    data: withoutUnusedTargets(resolved.config, buildModel(resolved.config.model)).data,
    layouts: {},
    optimizer: resolved.config.optimizer,
    emaFirstStep: 'keras3',
    globalBatchSize: batch,
    seed: 1,
    socketDir: '',
    compute: AUTO_COMPUTE,
  };
  const mesh = Mesh.parse('batch=1');
  const trainer = await DeviceTrainer.create(0, mesh, setup, createLocalCollectives([0])[0]!, storage);
  await trainer.importShards(shardsForDevice(initial.tensors, trainer.variableLayouts(), mesh, 0), initial.iterations);
  return { trainer, resolved };
}

/** The trainer's state after `steps` steps as a Keras archive, as `export --keras` writes it. */
export function trainerArchive(trainer: DeviceTrainer, config: RunConfig, steps: number): KerasArchive {
  const records = trainer.exportShards();
  const iterations = Number(records.find((r) => r.path === 'optimizer/iteration')!.data[0]);
  const tensors = toCheckpointTensors(records, 'batch=1');
  return runToKerasArchive(config, { step: steps, iterations, mesh: 'batch=1', tensors, state: {} });
}

/** The case continued by one in-process DeviceTrainer, exported as an archive. */
export async function continueInProcess(c: KerasCase): Promise<Continued> {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-case-'));
  try {
    const { trainer, resolved } = await archiveTrainer(caseRunConfig(c, writeData(c, dir), 'batch=1'), c.batch);
    const losses: number[] = [];
    for (let t = 0; t < c.steps; t++) losses.push((await trainer.step(t)).loss);
    return { archive: trainerArchive(trainer, resolved.config, c.steps), losses };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The case as a run of `service` on `mesh` (real worker processes), exported with `export --keras`. */
export async function continueAsRun(
  c: KerasCase,
  mesh: string,
  service: {
    startRun(c: RunConfig): Promise<{ runId: string }>;
    waitForRun(id: string): Promise<string>;
    getRun(id: string): Promise<{ error?: string | null }>;
    getMetrics(id: string): Promise<{ loss: number }[]>;
    exportKeras(id: string, file: string): Promise<unknown>;
  },
  dir: string,
): Promise<Continued & { runId: string }> {
  const { runId } = await service.startRun(caseRunConfig(c, writeData(c, dir), mesh));
  assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
  const file = join(dir, `${c.name}-${mesh}.keras`);
  await service.exportKeras(runId, file);
  const archive = await readKerasArchive(new Uint8Array(readFileSync(file)), file);
  return { archive, losses: (await service.getMetrics(runId)).map((p) => p.loss), runId };
}
