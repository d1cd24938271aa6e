// `dtrain train` with a Keras model config (`"model": {"type": "keras", "jsonPath": …}`): real CLI,
// real worker processes, real database. An Embedding model trains on 1 device and on 2 devices with
// its table row-sharded, to the same parameters; bad Keras models are one line and exit code 2.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RunStore } from '../../src/engine/store/index';
import { assembleGlobal } from '../../src/core/checkpoint/index';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-keras-model-'));
const db = join(dir, 'keras.db');
after(() => rmSync(dir, { recursive: true, force: true }));

function dtrain(...args: string[]) {
  return dtrainIn(process.cwd(), ...args);
}

function dtrainIn(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [resolve('bin/dtrain.mjs'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, DTRAIN_DB: db },
    timeout: 150_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const layer = (class_name: string, config: object) => ({ module: 'keras.layers', class_name, config, registered_name: null });

/** Keras 3 `model.to_json()` of Input(int32 [6]) → Embedding(12, 4) → GlobalAveragePooling1D → Dense(2). */
const EMBEDDING_MODEL = {
  module: 'keras',
  class_name: 'Sequential',
  registered_name: null,
  config: {
    name: 'sequential',
    trainable: true,
    layers: [
      layer('InputLayer', { batch_shape: [null, 6], dtype: 'int32', sparse: false, name: 'input_layer' }),
      layer('Embedding', {
        name: 'embedding',
        input_dim: 12,
        output_dim: 4,
        embeddings_initializer: {
          module: 'keras.initializers',
          class_name: 'RandomUniform',
          config: { seed: null, minval: -0.05, maxval: 0.05 },
          registered_name: null,
        },
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
        kernel_initializer: {
          module: 'keras.initializers',
          class_name: 'GlorotUniform',
          config: { seed: null },
          registered_name: null,
        },
        bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
      }),
    ],
  },
  compile_config: {
    loss: {
      module: 'keras.losses',
      class_name: 'SparseCategoricalCrossentropy',
      config: {
        name: 'sparse_categorical_crossentropy',
        reduction: 'sum_over_batch_size',
        from_logits: true,
        ignore_class: null,
      },
      registered_name: null,
    },
    metrics: ['accuracy'],
  },
};

/** Token ids 0–11 with repeats; the class is whether id 0–3 appears more often than id 8–11. */
function writeTokens(file: string): void {
  const rows = ['t0,t1,t2,t3,t4,t5,label'];
  for (let i = 0; i < 96; i++) {
    const ids = Array.from({ length: 6 }, (_, j) => (i * 7 + j * j * 5 + ((i * j) % 3)) % 12);
    const low = ids.filter((t) => t < 4).length;
    const high = ids.filter((t) => t >= 8).length;
    rows.push(`${ids.join(',')},${low >= high ? 'low' : 'high'}`);
  }
  writeFileSync(file, rows.join('\n') + '\n');
}

function config(extra: object) {
  return {
    model: { type: 'keras', jsonPath: join(dir, 'model.json') },
    data: { kind: 'csv', path: join(dir, 'tokens.csv'), labelColumn: 'label', normalize: 'none' },
    optimizer: { learning_rate: 1.0, rho: 0.9, epsilon: 1e-6 },
    steps: 12,
    globalBatchSize: 16,
    seed: 5,
    checkpointEvery: 0,
    ...extra,
  };
}

function finalParams(runId: string): Map<string, Float64Array> {
  const store = RunStore.open(db, { readonly: true });
  try {
    const { checkpoint } = store.latestValidCheckpoint(runId);
    return new Map(
      checkpoint!.tensors
        .filter((t) => t.path.startsWith('params/'))
        .map((t) => [t.path.slice(7), Float64Array.from(assembleGlobal(t))]),
    );
  } finally {
    store.close();
  }
}

function train(name: string, extra: object, devices: string): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config(extra)));
  const r = dtrain('train', '--config', file, '--devices', devices);
  assert.equal(r.code, 0, r.err);
  const runId = /run (\S+) started/.exec(r.out)![1]!;
  assert.match(r.out, new RegExp(`run ${runId} completed at step 12`));
  return runId;
}

test(
  'a Keras Embedding model trains; 2 devices with the table row-sharded reach the parameters of 1 device',
  { timeout: 300_000 },
  () => {
    writeFileSync(join(dir, 'model.json'), JSON.stringify(EMBEDDING_MODEL));
    writeTokens(join(dir, 'tokens.csv'));
    const one = finalParams(train('one', {}, '1'));
    const two = finalParams(train('two', { layouts: { embeddings: ['batch', 'unsharded'] } }, '2'));
    assert.deepEqual(
      [...one.keys()].sort(),
      ['dense/bias', 'dense/kernel', 'embedding/embeddings'],
      'checkpointed under Keras paths',
    );
    for (const [path, a] of one) {
      const b = two.get(path)!;
      let worst = 0;
      a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]!))));
      assert.ok(worst < 1e-5, `${path}: 1 and 2 devices differ by ${worst}`);
    }
    const runs = JSON.parse(dtrain('runs', '--json').out) as { lastLoss: number }[];
    assert.ok(
      runs.every((r) => r.lastLoss < Math.log(2)),
      `the loss fell below chance: ${runs.map((r) => r.lastLoss)}`,
    );
  },
);

test('Keras models that cannot train here are one line and exit code 2', { timeout: 120_000 }, () => {
  const cases: [object, RegExp][] = [
    [
      {
        ...EMBEDDING_MODEL,
        config: {
          ...EMBEDDING_MODEL.config,
          layers: [
            EMBEDDING_MODEL.config.layers[0],
            layer('Conv3D', { name: 'conv3d', filters: 2, kernel_size: [1, 1, 1] }),
            layer('Attention', { name: 'attention' }),
          ],
        },
      },
      // Every unsupported class is named at once, then what is supported.
      /2 classes are not supported: Conv3D \(conv3d\); Attention \(attention\)\. Supported layers: .*Dense/,
    ],
    [
      {
        ...EMBEDDING_MODEL,
        config: {
          ...EMBEDDING_MODEL.config,
          layers: [
            layer('InputLayer', { batch_shape: [null, 5], dtype: 'int32', name: 'input_layer' }),
            ...EMBEDDING_MODEL.config.layers.slice(1),
          ],
        },
      },
      /the model takes inputs of shape \[5\] but dataset .* has features of shape \[6\]/,
    ],
    // Issue 24 item 9: a subclass saved under Dense's class_name used to train as a plain Dense.
    [
      {
        ...EMBEDDING_MODEL,
        config: {
          ...EMBEDDING_MODEL.config,
          layers: [
            ...EMBEDDING_MODEL.config.layers.slice(0, -1),
            { ...EMBEDDING_MODEL.config.layers.at(-1)!, module: null, registered_name: 'Custom>MyDense' },
          ],
        },
      },
      /layers\[3\] \(dense\) is the custom class 'Custom>MyDense', not Keras's Dense: only Keras's built-in layers can be trained here/,
    ],
    [
      {
        ...EMBEDDING_MODEL,
        config: {
          ...EMBEDDING_MODEL.config,
          layers: [
            ...EMBEDDING_MODEL.config.layers.slice(0, -1),
            { ...EMBEDDING_MODEL.config.layers.at(-1)!, module: 'my_package.layers' },
          ],
        },
      },
      /is a Dense from module 'my_package\.layers', not one of Keras's built-in layers/,
    ],
  ];
  writeTokens(join(dir, 'tokens.csv'));
  for (const [model, message] of cases) {
    writeFileSync(join(dir, 'model.json'), JSON.stringify(model));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(config({})));
    const r = dtrain('train', '--config', file);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, message);
    assert.doesNotMatch(r.err, /^\s+at /m, 'no stack trace');
  }
  const missing = join(dir, 'missing.json');
  writeFileSync(missing, JSON.stringify({ ...config({}), model: { type: 'keras', jsonPath: join(dir, 'nope.json') } }));
  const r = dtrain('train', '--config', missing);
  assert.equal(r.code, 2);
  assert.match(r.err, /cannot read jsonPath .*nope\.json: no such file/);
});

test("a relative jsonPath is read from the config file's folder, not from the current directory", { timeout: 150_000 }, () => {
  const folder = join(dir, 'project');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'model.json'), JSON.stringify(EMBEDDING_MODEL));
  writeTokens(join(dir, 'tokens.csv'));
  const file = join(folder, 'relative.json');
  writeFileSync(file, JSON.stringify({ ...config({ steps: 2 }), model: { type: 'keras', jsonPath: 'model.json' } }));
  // /tmp holds no model.json of ours: read from the cwd, the run could not start.
  const r = dtrainIn(tmpdir(), 'train', '--config', file);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /run \S+ completed at step 2/);
  const store = RunStore.open(db, { readonly: true });
  try {
    const runId = /run (\S+) started/.exec(r.out)![1]!;
    const model = store.getRun(runId)!.config.model as { jsonPath?: string };
    assert.equal(model.jsonPath, join(folder, 'model.json'));
  } finally {
    store.close();
  }
});
