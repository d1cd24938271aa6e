/**
 * Errors are classified by their class where they are thrown, and keep that class over a real
 * WebSocket: a data problem (DatasetError), a model spec the builder refuses (ModelSpecError) and a
 * bad search space (SweepSpaceError) are the caller's input; a database held by another process is
 * `busy`, not the user's fault; anything else is `internal`, its raw text kept in the engine's log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { startServer, type RunningServer } from '../../../src/engine/serve/index';
import { RunStore } from '../../../src/engine/store/index';
import { DatasetError } from '../../../src/core/errors';
import { ModelSpecError } from '../../../src/core/models/spec';
import { SweepSpaceError } from '../../../src/core/sweeps/space';
import { ApiError, INTERNAL_MESSAGE } from '../../../src/shared/errors';
import { createApiClient, decodeMessage, encodeMessage, type ApiClient } from '../../../src/shared/transport/index';
import { FakeTrainer } from './fake-trainer';
import { makeStaticFixture, openSocket } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-error-classes-'));
const fixture = makeStaticFixture();
const trainer = new FakeTrainer();
const logged: string[] = [];
let server: RunningServer;
let client: ApiClient;
let close: () => void;

before(async () => {
  server = await startServer({ api: trainer, subscribe: trainer.subscribe, staticDir: fixture.root, log: (l) => logged.push(l) });
  const opened = await openSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
    Origin: `http://127.0.0.1:${server.port}`,
  });
  assert.ok('ws' in opened);
  const { ws } = opened;
  client = createApiClient(
    (m) => ws.send(encodeMessage(m)),
    (h) => void ws.on('message', (d) => h(decodeMessage(String(d)))),
  );
  close = () => ws.close();
});
after(async () => {
  close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError, `an ApiError, got ${String(err)}`);
  return err;
}

test('a DatasetError arrives as invalid-input with its own message (it arrived as internal)', async () => {
  trainer.describeDataSource = async () => {
    throw new DatasetError("cannot read dataset file '/data/x.csv': no such file");
  };
  const err = await failure(client.describeDataSource({ kind: 'csv', path: '/data/x.csv' }));
  assert.equal(err.code, 'invalid-input');
  assert.equal(err.message, "cannot read dataset file '/data/x.csv': no such file");
});

test('a model spec the builder refuses and a bad search space are invalid-input', async () => {
  trainer.startRun = async () => {
    throw new ModelSpecError('units must be a positive integer', 'layers[0].units');
  };
  const spec = await failure(client.startRun({} as never));
  assert.equal(spec.code, 'invalid-input');
  assert.equal(spec.message, 'units must be a positive integer');
  trainer.listSweeps = async () => {
    throw new SweepSpaceError('the search space is empty');
  };
  const space = await failure(client.listSweeps());
  assert.equal(space.code, 'invalid-input');
  assert.equal(space.message, 'the search space is empty');
});

test("a database locked by another process is busy, not the user's input", async () => {
  const file = join(dir, 'locked.db');
  RunStore.open(file).close();
  const holder = new Database(file);
  holder.exec('BEGIN EXCLUSIVE'); // another process writing
  const store = RunStore.open(file, { busyTimeoutMs: 0 });
  try {
    trainer.renameRun = async (runId, name) => store.updateRun(runId, { name });
    const err = await failure(client.renameRun('r1', 'x'));
    assert.equal(err.code, 'busy');
    assert.match(err.message, /locked by another process/);
  } finally {
    store.close();
    holder.exec('ROLLBACK');
    holder.close();
  }
});

test('anything else is internal with the generic message', async () => {
  trainer.listRuns = async () => {
    throw new RangeError('offset out of bounds');
  };
  const err = await failure(client.listRuns());
  assert.equal(err.code, 'internal');
  assert.equal(err.message, INTERNAL_MESSAGE);
  // Only the engine's own failure goes to its log, with the raw text; the user errors above do not.
  assert.deepEqual(
    logged.filter((l) => l.includes('failed')).map((l) => l.split('\n')[0]),
    ['[serve] listRuns failed: RangeError: offset out of bounds'],
  );
});
