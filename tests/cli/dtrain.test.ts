// The dtrain CLI as a user runs it: real processes, a real database file, real exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RunStore } from '../../src/engine/store/index';
import { assembleGlobal } from '../../src/core/checkpoint/index';
import { buildModel, forward } from '../../src/core/models/index';
import { loadDatasetSync } from '../../src/datasets/load';
import { cliSandbox } from './cli-sandbox';

const { dir, db, dtrain } = cliSandbox('dtrain-cli-');

const CONFIG = {
  name: 'cli test',
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 12, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'builtin', name: 'iris' },
  layouts: { 'dense.*kernel': ['batch', 'unsharded'] },
  optimizer: { learning_rate: 1.0, rho: 0.95, epsilon: 1e-6 },
  steps: 120,
  globalBatchSize: 30,
  seed: 2,
  checkpointEvery: 50,
};

test('--help lists every command and each command has its own help', () => {
  const top = dtrain('--help');
  assert.equal(top.code, 0);
  const verbs = ['train', 'resume', 'runs', 'show', 'export', 'import-config', 'serve', 'devices', 'datasets'];
  for (const v of verbs) {
    assert.match(top.out, new RegExp(`^  ${v} `, 'm'));
    const help = dtrain(v, '--help');
    assert.equal(help.code, 0, v);
    assert.match(help.out, new RegExp(`^Usage: dtrain ${v}`), v);
  }
});

test(
  'train → runs → show → export; the exported LayersModel predicts what the checkpoint computes',
  { timeout: 180_000 },
  async () => {
    const configPath = join(dir, 'run.json');
    writeFileSync(configPath, JSON.stringify(CONFIG));
    const train = dtrain('train', '--config', configPath, '--devices', '2');
    assert.equal(train.code, 0, train.err);
    const runId = /run (\S+) started on mesh batch=2/.exec(train.out)![1]!;
    assert.match(train.out, new RegExp(`run ${runId} completed at step 120`));

    const runs = JSON.parse(dtrain('runs', '--json').out);
    assert.equal(runs[0].id, runId);
    assert.equal(runs[0].status, 'completed');
    assert.ok(runs[0].lastLoss < 0.5, `trained: last loss ${runs[0].lastLoss}`);
    const show = dtrain('show', runId);
    assert.match(show.out, /checkpoints\n  #\d+ step 50/);

    const out = join(dir, 'export');
    assert.equal(dtrain('export', runId, '--out', out).code, 0);
    const modelJson = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    const weights = readFileSync(join(out, 'weights.bin'));
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0].weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
    const store = RunStore.open(db, { readonly: true });
    const { checkpoint } = store.latestValidCheckpoint(runId);
    store.close();
    const model = buildModel(CONFIG.model);
    const params = new Map(
      checkpoint!.tensors
        .filter((t) => t.path.startsWith('params/'))
        .map((t) => [t.path.slice(7), tf.tensor(Float32Array.from(assembleGlobal(t)))]),
    );
    const shaped = new Map(model.params.map((p) => [p.path, params.get(p.path)!.reshape(p.shape)]));
    const iris = loadDatasetSync({ kind: 'builtin', name: 'iris' });
    const x = tf.tensor2d(iris.x, [iris.numExamples, 4]);
    const ours = forward(model, shaped, x).dataSync();
    const theirs = (loaded.predict(x) as tf.Tensor).dataSync();
    ours.forEach((v, i) => assert.ok(Math.abs(v - theirs[i]!) < 1e-4, `logit ${i}: ${v} vs ${theirs[i]}`));
    // optimizer.json is Keras 3's full Adadelta get_config(): its key set, the run's values.
    const optimizer = JSON.parse(readFileSync(join(out, 'optimizer.json'), 'utf8'));
    assert.deepEqual(Object.keys(optimizer).sort(), [
      'clipnorm',
      'clipvalue',
      'ema_momentum',
      'ema_overwrite_frequency',
      'epsilon',
      'global_clipnorm',
      'gradient_accumulation_steps',
      'learning_rate',
      'loss_scale_factor',
      'name',
      'rho',
      'use_ema',
      'weight_decay',
    ]);
    assert.deepEqual(
      [optimizer.learning_rate, optimizer.rho, optimizer.epsilon],
      [CONFIG.optimizer.learning_rate, CONFIG.optimizer.rho, CONFIG.optimizer.epsilon],
    );
    assert.match(readFileSync(join(out, 'optimizer.json'), 'utf8'), /"learning_rate": 1\.0,/, 'a float, as Keras 3 requires');
    assert.match(readFileSync(join(out, 'metrics.csv'), 'utf8'), /^step,/);
  },
);

test('import-config accepts a config written by Python Keras 2.13 and rejects another optimizer', () => {
  const file = join(dir, 'keras.json');
  writeFileSync(
    file,
    '{"name": "Adadelta", "weight_decay": null, "clipnorm": null, "global_clipnorm": 1.0, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "jit_compile": true, "is_legacy_optimizer": false, "learning_rate": 0.0010000000474974513, "rho": 0.95, "epsilon": 1e-07}',
  );
  const ok = dtrain('import-config', file);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(JSON.parse(ok.out).global_clipnorm, 1);
  writeFileSync(file, '{"class_name": "Adam", "config": {"learning_rate": 0.001}}');
  const bad = dtrain('import-config', file);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /this is a Adam optimizer config; dtrain trains with Adadelta/);
});

test('bad input is one clear line and exit code 2, never a stack trace', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"model": ');
  const cases: [string[], RegExp][] = [
    [['train'], /missing --config FILE/],
    [['train', '--config', join(dir, 'missing.json')], /cannot read config .*missing\.json: no such file/],
    [['train', '--config', bad], /is not valid JSON/],
    [['train', '--config', bad, '--devices', 'two'], /--devices must be an integer/],
    [['trian'], /unknown command 'trian'/],
    [['show', 'nosuchrun'], /nosuchrun/],
    [['runs', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [args, message] of cases) {
    const r = dtrain(...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.err, message, args.join(' '));
    assert.doesNotMatch(r.err, /^\s+at /m, `no stack trace for ${args.join(' ')}`);
  }
});

test('export refuses what would lose data or cannot work: one line, exit 2, nothing written', { timeout: 180_000 }, () => {
  const configPath = join(dir, 'short.json');
  writeFileSync(configPath, JSON.stringify({ ...CONFIG, steps: 2, checkpointEvery: 0 }));
  const train = dtrain('train', '--config', configPath, '--devices', '1');
  assert.equal(train.code, 0, train.err);
  const runId = /run (\S+) started/.exec(train.out)![1]!;

  const full = join(dir, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'notes.txt'), 'mine');
  const aFile = join(dir, 'a-file');
  writeFileSync(aFile, 'x');
  const existing = join(dir, 'old.keras');
  writeFileSync(existing, 'old');
  const cases: [string[], RegExp][] = [
    [['export', runId, '--out', full], /full is not empty; choose a new folder or pass --force/],
    [['export', runId, '--out', aFile], /a-file is a file; export needs a folder/],
    [['export', runId, '--out', join(aFile, 'sub')], /cannot create .*a-file\/sub: .*a-file is a file/],
    [['export', runId, '--out', '/proc/dtrain-x'], /cannot create \/proc\/dtrain-x: /],
    [['export', runId, '--keras', existing], /old\.keras exists; choose a new name or pass --force/],
    [['export', runId, '--keras', join(dir, 'model.h5')], /--keras needs a file name ending in \.keras/],
    [['export', runId], /missing --out DIR, --keras FILE\.keras or --cluster DIR/],
  ];
  for (const [args, message] of cases) {
    const r = dtrain(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message, args.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1, `one line for ${args.join(' ')}`);
  }
  assert.deepEqual(readdirSync(full), ['notes.txt']);
  assert.equal(readFileSync(existing, 'utf8'), 'old');
  assert.equal(dtrain('export', runId, '--out', full, '--force').code, 0);
  assert.ok(readdirSync(full).includes('model.keras') && readdirSync(full).includes('notes.txt'));
});
