/**
 * The error contract end to end: the real engine (TrainerService over a real SQLite file) behind the
 * real web-mode server, called through a real WebSocket. Each failure arrives as an ApiError with
 * its code; nothing raw from Node or SQLite crosses.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createTrainerService } from '../../../src/engine/service/index';
import { startServer, type RunningServer } from '../../../src/engine/serve/index';
import { ApiError } from '../../../src/shared/errors';
import type { RunConfig } from '../../../src/shared/api';
import { createApiClient, decodeMessage, encodeMessage, type ApiClient } from '../../../src/shared/transport/index';
import { makeStaticFixture, openSocket } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'dtrain-api-errors-'));
const fixture = makeStaticFixture();
const serverLog: string[] = [];
let service: Awaited<ReturnType<typeof createTrainerService>>;
let server: RunningServer;
let client: ApiClient;
let close: () => void;

before(async () => {
  service = await createTrainerService({ dbPath: join(dir, 'e.db'), processHost: 'node', workerEntry: '/nonexistent-worker.ts' });
  server = await startServer({
    api: service,
    subscribe: (l) => service.subscribe(l),
    staticDir: fixture.root,
    log: (l) => serverLog.push(l),
  });
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
  await service.shutdown();
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

const CONFIG: RunConfig = {
  model: { type: 'mlp', input: [4], layers: [{ type: 'dense', units: 3 }], loss: 'softmax_cross_entropy' },
  data: { kind: 'builtin', name: 'iris' },
  mesh: 'batch=1',
  optimizer: { learning_rate: 1 },
  steps: 1,
  globalBatchSize: 8,
  seed: 0,
};

test('a run that does not exist is not-found, naming the run', async () => {
  const err = await failure(client.getRun('no-such-run'));
  assert.equal(err.code, 'not-found');
  assert.match(err.message, /No run "no-such-run"/);
  assert.equal((await failure(client.pauseRun('no-such-run'))).code, 'not-found');
});

test('a missing argument is invalid-input, not SQLite\'s "Too few parameter values"', async () => {
  const send = client.getRun as unknown as () => Promise<unknown>;
  const err = await failure(send());
  assert.equal(err.code, 'invalid-input');
  assert.doesNotMatch(err.message, /parameter values/);
});

test('an invalid config is refused with field-level issues before a run is created', async () => {
  const bad = { ...CONFIG, data: { kind: 'csv', path: join(dir, 'x.csv'), normalise: 'none' } } as unknown as RunConfig;
  const err = await failure(client.startRun(bad));
  assert.equal(err.code, 'invalid-input');
  assert.ok(
    err.issues?.some((i) => i.path === 'data.normalise' && /did you mean 'normalize'/.test(i.message)),
    JSON.stringify(err.issues),
  );
  assert.deepEqual(await client.listRuns(), [], 'no run was created');
});

test("a bad optimizer config import rejects with invalid-input and Keras's text", async () => {
  const err = await failure(client.importOptimizerConfig('{"rho": 0.9, "bogus": 1}'));
  assert.equal(err.code, 'invalid-input');
  assert.match(err.message, /bogus/);
});

test('pausing a run that is not running is a conflict', async () => {
  // A stopped run exists in the store but has no live workers.
  const runId = (service as unknown as { o: { store: { createRun(c: RunConfig): string } } }).o.store.createRun(CONFIG);
  const err = await failure(client.pauseRun(runId));
  assert.equal(err.code, 'conflict');
  assert.match(err.message, /is not running/);
});

test('a data source that is missing or is not one arrives as invalid-input, said as validation says it', async () => {
  const missing = await failure(client.describeDataSource({ kind: 'csv', path: join(dir, 'nope.csv') }));
  assert.equal(missing.code, 'invalid-input');
  assert.match(missing.message, /nope\.csv.*no such file/);
  // It was JavaScript's own TypeError text, passed off as the user's input.
  const none = await failure(client.describeDataSource(null as never));
  assert.equal(none.code, 'invalid-input');
  assert.equal(none.message, 'data: a data source object is required, e.g. {"kind": "builtin", "name": "iris"}');
  const typo = await failure(client.describeDataSource({ kind: 'csv', path: join(dir, 'x.csv'), normalise: 'none' } as never));
  assert.match(typo.message, /data\.normalise: unknown key 'normalise' \(did you mean 'normalize'\?\)/);
});
