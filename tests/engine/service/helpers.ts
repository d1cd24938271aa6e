import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTrainerService } from '../../../src/engine/service/index';
import { assembleGlobal } from '../../../src/core/checkpoint/index';
import { RunStore } from '../../../src/engine/store/index';
import type { RunConfig, TrainerEvent } from '../../../src/shared/api';
import { readSettings } from '../../../src/shared/settings';

export const WORKER_ENTRY = resolve('src/workers/device-worker.ts');

export async function withService<T>(
  fn: (s: Awaited<ReturnType<typeof createTrainerService>>, dir: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-svc-'));
  const service = await createTrainerService({ dbPath: join(dir, 'runs.db'), processHost: 'node', workerEntry: WORKER_ENTRY });
  try {
    return await fn(service, dir);
  } finally {
    await service.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An engine on a temporary database for the enclosing describe: started before its tests (handed to
 * `use` with its folder), shut down and removed after them.
 */
export function suiteService(
  prefix: string,
  use: (service: Awaited<ReturnType<typeof createTrainerService>>, dir: string) => void,
): void {
  let service: Awaited<ReturnType<typeof createTrainerService>> | undefined;
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    service = await createTrainerService({ dbPath: join(dir, 'runs.db'), processHost: 'node', workerEntry: WORKER_ENTRY });
    use(service, dir);
  });
  after(async () => {
    await service?.shutdown();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * An engine on `dir`'s database started in a process whose environment is `env` (its DTRAIN_* settings
 * are read from it, as a process reads its own at its start), with its log lines collected.
 */
export async function serviceWithEnv(dir: string, env: Record<string, string>) {
  const log: string[] = [];
  const service = await createTrainerService({
    dbPath: join(dir, 'runs.db'),
    processHost: 'node',
    workerEntry: WORKER_ENTRY,
    settings: readSettings(env),
    log: (line) => log.push(line),
  });
  return Object.assign(service, { log });
}

export const IRIS_RUN: RunConfig = {
  name: 'test',
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 8, activation: 'tanh' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'builtin', name: 'iris' },
  mesh: 'batch=2',
  layouts: { 'dense.*kernel': ['batch', 'unsharded'], 'dense_1.bias': ['batch'] },
  optimizer: { learning_rate: 0.5, rho: 0.9, epsilon: 1e-6, clipnorm: 1.0, use_ema: true, ema_momentum: 0.9 },
  steps: 20,
  globalBatchSize: 24,
  seed: 5,
  checkpointEvery: 0,
};

/** Every variable of the run's newest checkpoint, assembled to its global value (read through a second connection). */
export function finalState(dir: string, runId: string) {
  const store = RunStore.open(join(dir, 'runs.db'), { readonly: true });
  try {
    const { checkpoint } = store.latestValidCheckpoint(runId);
    if (!checkpoint) throw new Error('no checkpoint');
    return {
      step: checkpoint.step,
      iterations: checkpoint.iterations,
      values: new Map(checkpoint.tensors.map((t) => [t.path, Array.from(assembleGlobal(t))])),
    };
  } finally {
    store.close();
  }
}

export function eventsOf(service: { subscribe(l: (e: TrainerEvent) => void): () => void }): TrainerEvent[] {
  const events: TrainerEvent[] = [];
  service.subscribe((e) => events.push(e));
  return events;
}
