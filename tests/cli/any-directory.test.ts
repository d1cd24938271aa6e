// Issue 11 item 5: dtrain runs from any directory: workers find tsx, the worker entry and the builtin
// datasets from the package itself, never from the current directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

test('node /abs/path/bin/dtrain.mjs train … works with the current directory elsewhere', { timeout: 180_000 }, () => {
  const cwd = mkdtempSync(join(tmpdir(), 'dtrain-elsewhere-'));
  try {
    const r = spawnSync(process.execPath, [resolve('bin/dtrain.mjs'), 'train', '--config', resolve('resources/configs/iris-mlp.json'), '--steps', '4', '--db', join(cwd, 'x.db')], {
      cwd, encoding: 'utf8', timeout: 150_000, env: { ...process.env, DTRAIN_DB: '' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /ERR_MODULE_NOT_FOUND/);
    assert.match(r.stdout, /run \S+ completed at step 4/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
