/**
 * The CLI's side of the error contract: invalid-input and not-found exit 2 with one line (no stack,
 * no raw Node/SQLite text); the server's own failures (port in use, unknown host) likewise.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { RunStore } from '../../src/engine/store/index';
import { cliSandbox } from './cli-sandbox';

const { dir, db, dtrain } = cliSandbox('dtrain-exit-', { dbName: 'exit.db', env: { DTRAIN_DEBUG: '' } });
const { dtrain: impatient } = cliSandbox('dtrain-busy-', { env: { DTRAIN_DEBUG: '', DTRAIN_DB_BUSY_SECONDS: '1' } });

/** Exit 2 and exactly one `dtrain: error:` line matching `message`, nothing raw. */
function assertOneLine(r: ReturnType<typeof dtrain>, message: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit code (stderr: ${r.err})`);
  const lines = r.err.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.err)}`);
  assert.match(lines[0]!, /^dtrain: error: /, what);
  assert.match(lines[0]!, message, what);
  assert.doesNotMatch(r.err, /getaddrinfo|options\.port|Too few parameter|SqliteError|^\s+at /m, what);
}

test('a run that does not exist exits 2 with one line, for every command that takes a run', () => {
  for (const args of [
    ['show', 'nosuchrun'],
    ['resume', 'nosuchrun'],
    ['export', 'nosuchrun', '--out', join(dir, 'x')],
  ]) {
    assertOneLine(dtrain(...args), /No run "nosuchrun"/, args.join(' '));
  }
});

test('a database file of another application or not SQLite at all exits 2 with one line', () => {
  const foreign = join(dir, 'foreign.db');
  const other = new Database(foreign);
  other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)');
  other.close();
  assertOneLine(dtrain('runs', '--db', foreign), /another application|unknown tables/, 'foreign db');
  const text = join(dir, 'notes.db');
  writeFileSync(text, 'these are my notes, not a database\n'.repeat(200));
  assertOneLine(dtrain('runs', '--db', text), /not a dtrain database|not an SQLite/, 'text file');
});

test('a config typo exits 2 naming the key and creates no run', () => {
  const config = join(dir, 'typo.json');
  writeFileSync(
    config,
    JSON.stringify({
      model: { type: 'mlp', input: [4], layers: [{ type: 'dense', units: 3 }], loss: 'softmax_cross_entropy' },
      data: { kind: 'csv', path: 'resources/datasets/iris.csv', normalise: 'none' },
      mesh: 'batch=1',
      optimizer: { learning_rate: 1 },
      steps: 1,
      globalBatchSize: 8,
      seed: 0,
    }),
  );
  const r = dtrain('train', '--config', config);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /data\.normalise: unknown key 'normalise' \(did you mean 'normalize'\?\)/);
  assert.doesNotMatch(r.err, /^\s+at /m);
  assert.equal(JSON.parse(dtrain('runs', '--json').out).length, 0, 'no run was created');
});

test('a port outside 0..65535 exits 2 before anything starts', () => {
  assertOneLine(dtrain('serve', '--port', '99999'), /--port must be an integer from 0 to 65535/, 'port 99999');
  assertOneLine(dtrain('serve', '--port=-1'), /--port must be an integer from 0 to 65535/, 'port -1');
});

const needsRenderer = existsSync('out/renderer/index.html')
  ? undefined
  : 'out/renderer is not built (npm run build builds it; npm test does)';

test('a port in use and an unknown host exit 2 with one line', { skip: needsRenderer }, async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    assertOneLine(dtrain('serve', '--port', String(port)), /port is already in use/, 'EADDRINUSE');
  } finally {
    blocker.close();
  }
  assertOneLine(dtrain('serve', '--host', 'no-such-host.invalid'), /no such host name 'no-such-host\.invalid'/, 'unknown host');
});

test(
  'serve --host 0.0.0.0 warns that the dashboard is reachable from the network and prints where',
  { skip: needsRenderer, timeout: 60_000 },
  async () => {
    const child = spawn(process.execPath, ['bin/dtrain.mjs', 'serve', '--host', '0.0.0.0'], {
      env: { ...process.env, DTRAIN_DB: db },
    });
    let err = '';
    let out = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      for (let i = 0; i < 600 && !/warning: /.test(err); i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 100));
      assert.match(out, /dtrain dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      assert.match(err, /^warning: listening on 0\.0\.0\.0: the dashboard is reachable from the network/m);
      // Every printed network address carries the same port and token as the loopback URL.
      const [, port, token] = /127\.0\.0\.1:(\d+)\/\?token=(\S+)/.exec(out)!;
      for (const m of err.matchAll(/reachable at (http:\/\/\S+)/g)) assert.ok(m[1]!.endsWith(`:${port}/?token=${token}`), m[1]);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
  },
);

// The engine failing is not the user's input: `evaluate` turned every failure into exit 2.
test('an engine failure during evaluate exits 1, not 2', () => {
  const store = RunStore.open(db);
  const runId = store.createRun({
    model: { type: 'mlp', input: [4], layers: [{ type: 'dense', units: 3 }], loss: 'softmax_cross_entropy' },
    data: { kind: 'builtin', name: 'iris' },
    mesh: 'batch=1',
    optimizer: { learning_rate: 1 },
    steps: 2,
    globalBatchSize: 8,
    seed: 0,
  });
  // A checkpoint that does not fit its own run's model: nothing a user typed can cause this.
  const wrong = { specs: ['unsharded', 'unsharded'], mesh: 'batch=1' };
  store.writeCheckpoint(
    runId,
    {
      step: 1,
      iterations: 1,
      mesh: 'batch=1',
      tensors: [
        {
          path: 'params/dense.kernel',
          dtype: 'float32',
          globalShape: [4, 5],
          layout: wrong,
          shards: [
            {
              slices: [
                { start: 0, size: 4 },
                { start: 0, size: 5 },
              ],
              data: new Float32Array(20),
            },
          ],
        },
      ],
      state: { dataCursor: 1, seed: 0, globalBatchSize: 8 },
    },
    { keep: 3 },
  );
  store.close();
  const r = dtrain('evaluate', runId);
  assert.equal(r.code, 1, r.err);
  assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
  assert.match(r.err, /^dtrain: error: parameter "dense\.kernel" has 20 values/);
});

// Issue 24: a database another process keeps locked past the busy timeout is neither the user's input (2)
// nor a failure of the run (1): it exits 75, sysexits' EX_TEMPFAIL, "try again later".
test('a database locked by another process past the busy timeout exits 75 with one line', { timeout: 60_000 }, () => {
  const file = join(dir, 'locked.db');
  const store = RunStore.open(file);
  const runId = store.createRun({
    model: { type: 'mlp', input: [4], layers: [{ type: 'dense', units: 3 }], loss: 'softmax_cross_entropy' },
    data: { kind: 'builtin', name: 'iris' },
    mesh: 'batch=1',
    optimizer: { learning_rate: 1 },
    steps: 2,
    globalBatchSize: 8,
    seed: 0,
  });
  store.close();
  const holder = new Database(file);
  holder.exec('BEGIN EXCLUSIVE');
  try {
    // DTRAIN_DB_BUSY_SECONDS shortens the wait (30 s by default); the outcome is the same.
    const r = impatient('delete', runId, '--db', file);
    assert.equal(r.code, 75, `exit code (stderr: ${r.err})`);
    const lines = r.err.trimEnd().split('\n');
    assert.equal(lines.length, 1, JSON.stringify(r.err));
    assert.match(lines[0]!, /^dtrain: error: .*(busy|locked)/i);
    assert.match(lines[0]!, /DTRAIN_DB_BUSY_SECONDS/, 'it names the variable that sets the wait');
    assert.doesNotMatch(r.err, /SqliteError|^\s+at /m);
  } finally {
    holder.exec('ROLLBACK');
    holder.close();
  }
});
