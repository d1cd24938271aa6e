/**
 * Config problems are found by validation, before a run exists: the typos of issue 11 get a
 * "did you mean", and what used to fail only in the workers (no optimizer, a batch larger than the
 * dataset, a layout of the wrong rank) is an issue at its field.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRun } from '../../../src/engine/config/parse-run';
import { NO_SETTINGS } from '../../../src/shared/settings';
import { createTrainerService } from '../../../src/engine/service/index';
import { ApiError } from '../../../src/shared/errors';
import type { RunConfig } from '../../../src/shared/api';
import { fullLoaders } from '../../../src/datasets/load';
import { zipSync } from 'fflate';
import { encodeNpy } from '../../../src/core/data/index';

const IRIS: RunConfig = {
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 8 },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
  },
  data: { kind: 'builtin', name: 'iris' },
  mesh: 'batch=2',
  optimizer: { learning_rate: 1 },
  steps: 2,
  globalBatchSize: 16,
  seed: 0,
};

const parse = (config: unknown) => parseRun(config, { settings: NO_SETTINGS });
const issuesOf = async (config: unknown) => {
  const parsed = await parse(config);
  return Array.isArray(parsed) ? parsed : [];
};

test('the sample config is valid', async () => {
  assert.deepEqual(await issuesOf(IRIS), []);
});

test("typos inside data, model and layers are errors with a suggestion (issue 11's examples)", async () => {
  const csv = { kind: 'csv', path: '/tmp/x.csv', normalise: 'none', labelColum: 'species' };
  assert.deepEqual(await issuesOf({ ...IRIS, data: csv }), [
    { path: 'data.normalise', message: "unknown key 'normalise' (did you mean 'normalize'?)" },
    { path: 'data.labelColum', message: "unknown key 'labelColum' (did you mean 'labelColumn'?)" },
  ]);
  assert.deepEqual(await issuesOf({ ...IRIS, data: { kind: 'csv', pth: '/tmp/x.csv' } }), [
    { path: 'data.pth', message: "unknown key 'pth' (did you mean 'path'?)" },
    { path: 'data.path', message: 'a csv source needs a path' },
  ]);
  const layers = [
    { type: 'dense', units: 8, activaton: 'relu' },
    { type: 'dense', units: 3 },
  ];
  const [layer] = await issuesOf({ ...IRIS, model: { ...IRIS.model, layers } });
  assert.equal(layer!.path, 'model.layers[0].activaton');
  assert.match(layer!.message, /did you mean 'activation'\?/);
  assert.deepEqual(
    (await issuesOf({ ...IRIS, globalBatchSise: 16 })).map((i) => i.message),
    ["unknown key 'globalBatchSise' (did you mean 'globalBatchSize'?)"],
  );
});

test('an optimizer key typo gets the "did you mean" of the run keys, not a Keras-internal message', async () => {
  const issues = await issuesOf({ ...IRIS, optimizer: { learnin_rate: 1, rho: 0.9 } });
  assert.deepEqual(issues, [
    { path: 'optimizer.learnin_rate', message: "unknown key 'learnin_rate' (did you mean 'learning_rate'?)" },
  ]);
  const [far] = await issuesOf({ ...IRIS, optimizer: { momentum: 0.9 } });
  assert.equal(far!.path, 'optimizer.momentum');
  assert.match(far!.message, /^unknown key 'momentum' \(known: name, weight_decay, clipnorm, .*rho, epsilon\)$/);
  assert.doesNotMatch(far!.message, /kwargs/);
  // Keras's own rules for its deprecated keys stay Keras's.
  assert.match((await issuesOf({ ...IRIS, optimizer: { decay: 0.1 } }))[0]!.message, /decay is deprecated/);
});

test('optimizerStatsEvery and minStepMs: integers ≥ 0, milliseconds from 0 to 60000', async () => {
  assert.deepEqual(await issuesOf({ ...IRIS, optimizerStatsEvery: 0, minStepMs: 20 }), []);
  assert.deepEqual(
    (await issuesOf({ ...IRIS, optimizerStatsEvery: 2.5, minStepMs: -1 })).map((i) => i.path),
    ['optimizerStatsEvery', 'minStepMs'],
  );
  assert.deepEqual(
    (await issuesOf({ ...IRIS, optimizerStatsEvry: 3 })).map((i) => i.message),
    ["unknown key 'optimizerStatsEvry' (did you mean 'optimizerStatsEvery'?)"],
  );
});

test('optimizer state by default: about 200 records for a long run, no more often than every 10 steps', async () => {
  const { optimizerStatsEveryOf } = await import('../../../src/engine/config/history-config');
  assert.deepEqual(
    [20, 1999, 2001, 100_000].map((steps) => optimizerStatsEveryOf({ ...IRIS, steps })),
    [10, 10, 11, 500],
  );
  assert.equal(optimizerStatsEveryOf({ ...IRIS, steps: 100_000, optimizerStatsEvery: 0 }), 0, 'given: kept, 0 is never');
});

test('a missing optimizer is an issue, not a worker failure', async () => {
  const { optimizer: _o, ...noOptimizer } = IRIS;
  assert.deepEqual(
    (await issuesOf(noOptimizer)).map((i) => i.path),
    ['optimizer'],
  );
});

test('a global batch larger than the dataset is an issue (Iris has 150 examples)', async () => {
  const issues = await issuesOf({ ...IRIS, globalBatchSize: 151 });
  assert.deepEqual(
    issues.map((i) => i.path),
    ['globalBatchSize'],
  );
  assert.match(issues[0]!.message, /larger than dataset 'iris' \(150 examples\)/);
  assert.deepEqual(await issuesOf({ ...IRIS, globalBatchSize: 150 }), []);
});

test('a layout whose rank differs from the variable it matches is an issue', async () => {
  const issues = await issuesOf({ ...IRIS, layouts: { 'dense.*kernel': ['batch'] } });
  assert.equal(issues.length, 2, JSON.stringify(issues)); // dense.kernel and dense_1.kernel
  assert.match(issues[0]!.message, /rank 1, but the variable has rank 2/);
});

test('startRun refuses these before creating a run: invalid-input with the issues', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-config-'));
  const service = await createTrainerService({
    dbPath: join(dir, 'c.db'),
    processHost: 'node',
    workerEntry: '/nonexistent-worker.ts',
  });
  try {
    for (const bad of [
      { ...IRIS, globalBatchSize: 500 },
      { ...IRIS, layouts: { 'dense.*kernel': ['batch'] } },
      { ...IRIS, optimizer: undefined },
    ]) {
      const err = await service.startRun(bad as RunConfig).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApiError && err.code === 'invalid-input' && (err.issues?.length ?? 0) > 0, String(err));
    }
    assert.deepEqual(await service.listRuns(), []);
  } finally {
    await service.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a CSV or npz config is validated from the inspected shape: no full load, the same messages', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-config-data-'));
  const saved = { ...fullLoaders };
  const refuse = () => {
    throw new Error('validation loaded the whole dataset');
  };
  try {
    // 3000 rows, classes a/b/c in turn: 1000 each; a 0.2 split holds out 200 of each.
    const rows = Array.from({ length: 3000 }, (_, i) => `${i % 13},${i % 7},${i % 5},${i % 3},${'abc'[i % 3]}`);
    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, `p,q,r,s,label\n${rows.join('\n')}\n`);
    const x = encodeNpy(new Float32Array(40 * 6), 'float32', [40, 6]);
    const npz = join(dir, 'cut.npz');
    writeFileSync(
      npz,
      zipSync({
        // Whole: since issue 24 the inspection refuses an x cut short (its shape must fit the entry).
        'x.npy': x,
        'y.npy': encodeNpy(
          new Int32Array(40).map((_, i) => i % 2),
          'int32',
          [40],
        ),
      }),
    );
    fullLoaders.loadDataset = refuse;
    fullLoaders.loadDatasetSync = refuse;
    const checked = await parse({ ...IRIS, data: { kind: 'csv', path: csv, validation: { fraction: 0.2 } } });
    assert.ok(!Array.isArray(checked), JSON.stringify(checked));
    assert.equal(checked.data.train.examples, 2400);
    assert.equal(checked.data.validation!.examples, 600);
    const wrong = await issuesOf({
      ...IRIS,
      model: { ...IRIS.model, layers: [{ type: 'dense', units: 2 }] },
      data: { kind: 'csv', path: csv },
    });
    assert.deepEqual(wrong, [{ path: 'model.layers', message: "the model outputs 2 values but dataset 'rows' has 3 classes" }]);
    const npzIssues = await issuesOf({ ...IRIS, globalBatchSize: 41, data: { kind: 'npz', path: npz } });
    assert.deepEqual(npzIssues, [
      { path: 'model.input', message: "the model takes inputs of shape [4] but dataset 'cut' has features of shape [6]" },
      { path: 'model.layers', message: "the model outputs 3 values but dataset 'cut' has 2 classes" },
      { path: 'globalBatchSize', message: "a global batch of 41 is larger than dataset 'cut' (40 examples)" },
    ]);
  } finally {
    Object.assign(fullLoaders, saved);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fullySharded and reshardAfterForward: their values are checked at their fields', async () => {
  assert.deepEqual(await issuesOf({ ...IRIS, fullySharded: 'auto', reshardAfterForward: false }), []);
  assert.deepEqual(await issuesOf({ ...IRIS, fullySharded: true }), []);
  assert.deepEqual(await issuesOf({ ...IRIS, fullySharded: 'yes', reshardAfterForward: 1 }), [
    { path: 'fullySharded', message: 'fullySharded must be "auto", true or false (got "yes")' },
    { path: 'reshardAfterForward', message: 'reshardAfterForward must be true or false (got 1)' },
  ]);
  const typo = await issuesOf({ ...IRIS, fullySharding: true });
  assert.equal(typo[0]?.path, 'fullySharding');
  assert.equal(typo[0]!.message, "unknown key 'fullySharding' (did you mean 'fullySharded'?)");
});
