// Tensor storage (what a worker uses on the tensorflow backend, forced here on wasm with `variableStorage`,
// or DTRAIN_VARIABLE_STORAGE where the run is created or resumed) against host storage, with real worker processes, the real ring and a real
// database: the same parameters, slots and losses bit for bit on 1, 2 and 3 devices with sharded layouts,
// across checkpoint/resume in both directions, and no tfjs tensor left behind from step to step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IRIS_RUN, eventsOf, finalState, serviceWithEnv, withService } from './helpers';
import { IRIS_MLP, startSession } from '../coordinator/helpers';
import { parseRun } from '../../../src/engine/config/parse-run';
import { readSettings } from '../../../src/shared/settings';
import type { ConfigIssue, RunConfig, VariableStorage } from '../../../src/shared/api';

const STEPS = 12;

type Service = Parameters<Parameters<typeof withService>[0]>[0];

async function train(service: Service, dir: string, config: RunConfig) {
  const events = eventsOf(service);
  const { runId } = await service.startRun(config);
  assert.equal(await service.waitForRun(runId), 'completed', (await service.getRun(runId)).error ?? '');
  return {
    runId,
    state: finalState(dir, runId),
    losses: (await service.getMetrics(runId)).map((p) => p.loss),
    storages: storagesOf(events, runId),
  };
}

/** The storage every worker reported when the run (or its latest resume) started. */
function storagesOf(events: ReturnType<typeof eventsOf>, runId: string): (string | undefined)[] {
  const devices = events.filter((e) => e.type === 'devices' && e.runId === runId).at(-1);
  return devices?.type === 'devices' ? devices.devices.map((d) => d.storage) : [];
}

function assertSameState(a: ReturnType<typeof finalState>, b: ReturnType<typeof finalState>, label: string) {
  assert.equal(a.step, b.step, `${label}: step`);
  assert.deepEqual([...a.values.keys()].sort(), [...b.values.keys()].sort(), `${label}: variables`);
  for (const [path, values] of b.values) assert.deepEqual(a.values.get(path), values, `${label}: ${path}`);
}

test(
  'tensor storage equals host storage bit for bit on 1, 2 and 3 devices, sharded layouts, clipping and EMA',
  { timeout: 300_000 },
  async () => {
    await withService(async (service, dir) => {
      for (const mesh of ['batch=1', 'batch=2', 'batch=3']) {
        const host = await train(service, dir, { ...IRIS_RUN, mesh, steps: STEPS, variableStorage: 'host' });
        const tensor = await train(service, dir, { ...IRIS_RUN, mesh, steps: STEPS, variableStorage: 'tensor' });
        const n = Number(mesh.split('=')[1]);
        assert.deepEqual(host.storages, Array(n).fill('host'));
        assert.deepEqual(tensor.storages, Array(n).fill('tensor'));
        assertSameState(tensor.state, host.state, mesh);
        assert.ok(tensor.state.values.has('optimizer/Adadelta/accumulated_grad/dense.kernel'), 'slots are checkpointed');
        assert.deepEqual(tensor.losses, host.losses, `${mesh}: losses`);
        assert.equal(tensor.losses.length, STEPS);
      }
    });
  },
);

test(
  'checkpoint/resume across storages: host → tensor (DTRAIN_VARIABLE_STORAGE where it resumes) and tensor → tensor equal an uninterrupted host run',
  { timeout: 300_000 },
  async () => {
    await withService(async (service, dir) => {
      const config: RunConfig = { ...IRIS_RUN, mesh: 'batch=2', steps: STEPS };
      const straight = await train(service, dir, { ...config, variableStorage: 'host' });

      // Created where DTRAIN_VARIABLE_STORAGE=host, resumed where it is tensor: the explicit variable wins, with a note.
      const creator = await serviceWithEnv(dir, { DTRAIN_VARIABLE_STORAGE: 'host' });
      const first = await train(creator, dir, { ...config, steps: 5 });
      await creator.shutdown();
      const a = first.runId;
      assert.deepEqual(first.storages, ['host', 'host']);
      const resumer = await serviceWithEnv(dir, { DTRAIN_VARIABLE_STORAGE: 'tensor' });
      try {
        const events = eventsOf(resumer);
        await resumer.resumeRun(a, { steps: STEPS });
        assert.equal(await resumer.waitForRun(a), 'completed');
        assert.deepEqual(storagesOf(events, a), ['tensor', 'tensor'], 'the resumed workers took the variable set there');
        assert.ok(
          resumer.log.includes(
            `run ${a}: note: DTRAIN_VARIABLE_STORAGE overrides the run's recorded variableStorage (host → tensor)`,
          ),
          resumer.log.join('\n'),
        );
        assertSameState(finalState(dir, a), straight.state, 'host → tensor');
        assert.deepEqual(
          (await resumer.getMetrics(a)).map((p) => p.loss),
          straight.losses,
        );
      } finally {
        await resumer.shutdown();
      }

      // Tensor → tensor: the checkpoint is exported from tensor shards and imported into them.
      const second = await train(service, dir, { ...config, steps: 5, variableStorage: 'tensor' });
      const b = second.runId;
      assert.deepEqual(second.storages, ['tensor', 'tensor']);
      await service.resumeRun(b, { steps: STEPS });
      assert.equal(await service.waitForRun(b), 'completed');
      assertSameState(finalState(dir, b), straight.state, 'tensor → tensor');
    });
  },
);

test(
  'workers report their storage, and the live tensor count does not grow from step to step',
  { timeout: 120_000 },
  async () => {
    for (const variableStorage of ['tensor', 'host'] as const) {
      const layouts = { 'dense.*kernel': ['batch', 'unsharded'] };
      const session = await startSession('batch=2', {
        ...IRIS_MLP,
        layouts,
        optimizer: { ...IRIS_MLP.optimizer, clipnorm: 0.5, use_ema: true },
        compute: { ...IRIS_MLP.compute, variableStorage },
      });
      try {
        await session.train(0, 2);
        const first = await session.stats();
        await session.train(2, 5);
        const later = await session.stats();
        assert.deepEqual(
          first.map((s) => s.storage),
          [variableStorage, variableStorage],
        );
        assert.ok(
          first.every((s) => s.numTensors! > 0 || variableStorage === 'host'),
          'tensor storage keeps variables on the backend',
        );
        assert.deepEqual(
          later.map((s) => s.numTensors),
          first.map((s) => s.numTensors),
          `${variableStorage}: tensors per worker after 2 and after 7 steps`,
        );
      } finally {
        await session.close();
      }
    }
  },
);

test('the setting: the config key first, then DTRAIN_VARIABLE_STORAGE, else auto; bad values are one clear error', async () => {
  const storageOf = async (config: RunConfig, env: Record<string, string>): Promise<VariableStorage | ConfigIssue[]> => {
    const run = await parseRun(config, { settings: readSettings(env) });
    return Array.isArray(run) ? run : run.compute.variableStorage;
  };
  const base = IRIS_RUN;
  assert.equal(await storageOf(base, {}), 'auto');
  assert.equal(await storageOf(base, { DTRAIN_VARIABLE_STORAGE: 'tensor' }), 'tensor');
  assert.equal(await storageOf({ ...base, variableStorage: 'host' }, { DTRAIN_VARIABLE_STORAGE: 'tensor' }), 'host');
  assert.throws(() => readSettings({ DTRAIN_VARIABLE_STORAGE: 'gpu' }), {
    name: 'ApiError',
    message: "DTRAIN_VARIABLE_STORAGE must be auto, host or tensor (got 'gpu')",
  });
  assert.deepEqual(await storageOf({ ...base, variableStorage: 'device' as never }, {}), [
    { path: 'variableStorage', message: 'variableStorage must be "auto", "host", "tensor" (got "device")' },
  ]);
});

const layer = (class_name: string, config: object) => ({ module: 'keras.layers', class_name, config, registered_name: null });
const init = (class_name: string, config: object = {}) => ({
  module: 'keras.initializers',
  class_name,
  config,
  registered_name: null,
});
/** Keras 3 JSON of Input(int32 [5]) → Embedding(10, 3) → GlobalAveragePooling1D → Dense(2): its table gets sparse gradients. */
const EMBEDDING_MODEL = {
  module: 'keras',
  class_name: 'Sequential',
  registered_name: null,
  config: {
    name: 'sequential',
    trainable: true,
    layers: [
      layer('InputLayer', { batch_shape: [null, 5], dtype: 'int32', sparse: false, name: 'input_layer' }),
      layer('Embedding', {
        name: 'embedding',
        input_dim: 10,
        output_dim: 3,
        embeddings_initializer: init('RandomUniform', { seed: null, minval: -0.05, maxval: 0.05 }),
        embeddings_regularizer: null,
        activity_regularizer: null,
        embeddings_constraint: null,
        mask_zero: false,
      }),
      layer('GlobalAveragePooling1D', { name: 'global_average_pooling1d', data_format: 'channels_last', keepdims: false }),
      layer('Dense', {
        name: 'dense',
        units: 2,
        activation: 'linear',
        use_bias: true,
        kernel_initializer: init('GlorotUniform', { seed: null }),
        bias_initializer: init('Zeros'),
      }),
    ],
  },
  compile_config: { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
};

test(
  'sparse Embedding gradients: tensor storage equals host storage with the table row-sharded over 2 workers',
  { timeout: 300_000 },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dtrain-storage-'));
    try {
      const rows = ['t0,t1,t2,t3,t4,label'];
      for (let i = 0; i < 60; i++) {
        const ids = Array.from({ length: 5 }, (_, j) => (i * 3 + j * j * 7 + ((i * j) % 4)) % 10); // repeats within a row
        rows.push(`${ids.join(',')},${ids.filter((t) => t < 5).length >= 3 ? 'low' : 'high'}`);
      }
      writeFileSync(join(dataDir, 'tokens.csv'), `${rows.join('\n')}\n`);
      await withService(async (service, dir) => {
        const config: RunConfig = {
          ...IRIS_RUN,
          mesh: 'batch=2',
          steps: 8,
          globalBatchSize: 12,
          model: { type: 'keras', json: EMBEDDING_MODEL },
          data: { kind: 'csv', path: join(dataDir, 'tokens.csv'), labelColumn: 'label', normalize: 'none' },
          layouts: { 'embedding/embeddings': ['batch', 'unsharded'] },
          optimizer: { learning_rate: 1.0, rho: 0.9, epsilon: 1e-6, clipnorm: 0.5 },
        };
        const host = await train(service, dir, { ...config, variableStorage: 'host' });
        const tensor = await train(service, dir, { ...config, variableStorage: 'tensor' });
        assert.deepEqual(tensor.storages, ['tensor', 'tensor']);
        assert.ok(host.state.values.has('params/embedding/embeddings'), [...host.state.values.keys()].join(', '));
        assertSameState(tensor.state, host.state, 'embedding');
        assert.deepEqual(tensor.losses, host.losses);
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
