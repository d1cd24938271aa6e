// Issue 11 item 5: dtrain runs from any directory: workers find tsx, the worker entry and the builtin
// datasets from the package itself, never from the current directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeNpz } from '../../src/core/data/index';

test('node /abs/path/bin/dtrain.mjs train … works with the current directory elsewhere', { timeout: 180_000 }, () => {
  const cwd = mkdtempSync(join(tmpdir(), 'dtrain-elsewhere-'));
  try {
    const r = spawnSync(
      process.execPath,
      [
        resolve('bin/dtrain.mjs'),
        'train',
        '--config',
        resolve('resources/configs/iris-mlp.json'),
        '--steps',
        '4',
        '--db',
        join(cwd, 'x.db'),
      ],
      {
        cwd,
        encoding: 'utf8',
        timeout: 150_000,
        env: { ...process.env, DTRAIN_DB: '' },
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /ERR_MODULE_NOT_FOUND/);
    assert.match(r.stdout, /run \S+ completed at step 4/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

// Every path in a config file is relative to the config's folder, data as well as the model: the
// bundled image-folder config names its data as "../datasets/shapes-png" (it worked only from the
// repository root when data paths were resolved from the current directory).
test('data paths in a config are relative to the config file, like model paths, from any directory', { timeout: 180_000 }, () => {
  const cwd = mkdtempSync(join(tmpdir(), 'dtrain-elsewhere-'));
  try {
    const run = (config: string) =>
      spawnSync(
        process.execPath,
        [resolve('bin/dtrain.mjs'), 'train', '--config', config, '--steps', '2', '--devices', '1', '--db', join(cwd, 'x.db')],
        {
          cwd,
          encoding: 'utf8',
          timeout: 150_000,
          env: { ...process.env, DTRAIN_DB: '', DTRAIN_CACHE_DIR: join(cwd, 'cache') },
        },
      );
    const images = run(resolve('resources/configs/shapes-png-cnn.json'));
    assert.equal(images.status, 0, images.stderr);
    assert.match(images.stdout, /run \S+ completed at step 2/);

    // An npz file and its held-out file beside a config in a folder of its own, named relatively.
    const folder = join(cwd, 'project');
    mkdirSync(join(folder, 'data'), { recursive: true });
    const rows = (n: number) =>
      encodeNpz([
        { name: 'x', values: Float32Array.from({ length: n * 4 }, (_, i) => (i % 7) / 7), dtype: 'float32', shape: [n, 4] },
        { name: 'y', values: Int32Array.from({ length: n }, (_, i) => i % 3), dtype: 'int32', shape: [n] },
      ]);
    writeFileSync(join(folder, 'data', 'train.npz'), rows(30));
    writeFileSync(join(folder, 'data', 'held.npz'), rows(9));
    writeFileSync(
      join(folder, 'run.json'),
      JSON.stringify({
        model: {
          type: 'mlp',
          input: [4],
          layers: [{ type: 'dense', units: 3 }],
          loss: 'softmax_cross_entropy',
          metrics: ['accuracy'],
        },
        data: { kind: 'npz', path: 'data/train.npz', validation: { path: 'data/held.npz' } },
        optimizer: { learning_rate: 1.0 },
        steps: 2,
        globalBatchSize: 6,
        seed: 1,
      }),
    );
    const npz = run(join('project', 'run.json'));
    assert.equal(npz.status, 0, npz.stderr);
    assert.match(npz.stdout, /val_loss/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
