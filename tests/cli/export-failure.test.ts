// Issue 24 item 8: an export that failed on a full disk left a 0-byte `.model.keras.NNNN.tmp` behind,
// and the retry was then refused as "not empty", though `export --help` says nothing is written when
// the run cannot be exported. The full disk is a file-size limit here (`ulimit -f`: writes past it fail
// with EFBIG, as on a full disk), on `dtrain export` run as a user runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cliSandbox } from './cli-sandbox';
import { irisMlp } from '../helpers/iris';

const { dir, db, dtrain } = cliSandbox('dtrain-export-fail-');

/** `dtrain ARGS` with writes limited to `kib` KiB per file. */
function dtrainLimited(kib: number, ...args: string[]) {
  const r = spawnSync(
    'sh',
    ['-c', `ulimit -f ${kib * 2} && exec "$0" "$@"`, process.execPath, resolve('bin/dtrain.mjs'), ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, DTRAIN_DB: db },
      timeout: 120_000,
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('an export that fails part-way leaves no file and no folder behind; the retry succeeds', { timeout: 240_000 }, () => {
  const config = join(dir, 'wide.json');
  // 4→8192→3: the archive's weights alone are ~230 KB, past the 100 KiB limit below.
  writeFileSync(
    config,
    JSON.stringify({
      ...irisMlp(8192),
      mesh: 'batch=1',
      optimizer: { learning_rate: 1.0 },
      steps: 2,
      globalBatchSize: 16,
      seed: 1,
    }),
  );
  const trained = dtrain('train', '--config', config);
  assert.equal(trained.code, 0, trained.err);
  const runId = /run (\S+) started/.exec(trained.out)![1]!;

  const keras = join(dir, 'new', 'deeper', 'model.keras');
  const failed = dtrainLimited(100, 'export', runId, '--keras', keras);
  assert.equal(failed.code, 2, failed.err);
  assert.match(failed.err, /^dtrain: error: cannot write .*model\.keras: /);
  assert.ok(
    !existsSync(join(dir, 'new')),
    `the folders it made are gone: ${existsSync(join(dir, 'new')) && readdirSync(join(dir, 'new'))}`,
  );

  const out = join(dir, 'out');
  const failedDir = dtrainLimited(100, 'export', runId, '--out', out);
  assert.equal(failedDir.code, 2, failedDir.err);
  assert.ok(!existsSync(out), `nothing is left in ${out}: ${existsSync(out) && readdirSync(out)}`);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith('.tmp')),
    [],
    'no temporary file beside it',
  );

  // The retry, with room: both succeed, no "not empty" and no "exists".
  const retry = dtrain('export', runId, '--keras', keras, '--out', out);
  assert.equal(retry.code, 0, retry.err);
  assert.ok(statSync(keras).size > 200_000);
  assert.ok(readdirSync(out).includes('model.keras'));
  assert.deepEqual(
    readdirSync(out).filter((n) => n.endsWith('.tmp')),
    [],
  );
});
