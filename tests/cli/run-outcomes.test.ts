// Issue 11 (items 3 and 8) through the CLI as a user runs it: a diverging run exits non-zero with the
// step and the cause; resume refuses a --steps below the step reached and names the checkpoint it used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RunStore } from '../../src/engine/store/index';

const BIN = resolve('bin/dtrain.mjs');
const dir = mkdtempSync(join(tmpdir(), 'dtrain-cli-outcomes-'));
const db = join(dir, 'cli.db');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function dtrain(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, DTRAIN_DB: db },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const CONFIG = {
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 8, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'builtin', name: 'iris' },
  mesh: 'batch=2',
  optimizer: { learning_rate: 1.0, rho: 0.95, epsilon: 1e-6 },
  steps: 12,
  globalBatchSize: 16,
  seed: 1,
  checkpointEvery: 4,
};

function writeConfig(name: string, config: object): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

test('a diverging run exits 1 and names the step and the cause', { timeout: 120_000 }, () => {
  const r = dtrain(
    'train',
    '--config',
    writeConfig('diverge.json', { ...CONFIG, optimizer: { learning_rate: 1e30, rho: 0.95, epsilon: 1e-6 } }),
  );
  assert.equal(r.code, 1, r.err);
  assert.match(r.out + r.err, /failed at step (\d+): training diverged at step \1: the (loss|gradient norm) is (NaN|-?Infinity)/);
});

test('a negative epsilon is refused up front with exit code 2', () => {
  const r = dtrain('train', '--config', writeConfig('eps.json', { ...CONFIG, optimizer: { epsilon: -1 } }));
  assert.equal(r.code, 2);
  assert.match(r.err, /optimizer: `epsilon` must be >= 0\. Received: epsilon=-1/);
  assert.doesNotMatch(r.err, /at .*\.ts:\d+/, 'no stack trace');
});

test(
  'resume --steps below the step reached is refused (exit 2); resume names the newest checkpoint',
  { timeout: 180_000 },
  () => {
    const train = dtrain('train', '--config', writeConfig('ok.json', CONFIG));
    assert.equal(train.code, 0, train.err);
    const runId = /run (\S+) started/.exec(train.out)![1]!;

    const refused = dtrain('resume', runId, '--steps', '8');
    assert.equal(refused.code, 2, refused.err);
    assert.equal(
      refused.err.trim(),
      `dtrain: error: run ${runId} is already at step 12; --steps is the run's total and must be more than that`,
    );
    const same = dtrain('resume', runId, '--steps', '12');
    assert.equal(same.code, 2, same.err);

    const store = RunStore.open(db, { readonly: true });
    const kept = store.listCheckpoints(runId).map((c) => c.step);
    store.close();
    assert.deepEqual(kept, [4, 8, 12], 'three checkpoints kept (the oldest is not the one resumed from)');
    const resumed = dtrain('resume', runId, '--steps', '14');
    assert.equal(resumed.code, 0, resumed.err);
    assert.match(resumed.out, new RegExp(`run ${runId} resuming from step 12\\n`));
    assert.match(resumed.out, new RegExp(`run ${runId} completed at step 14`));
  },
);
