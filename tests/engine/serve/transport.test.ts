/**
 * The shared transport, end to end with a real (small) TrainerApi: the client and serveApi over an
 * in-memory channel that structured-clones like Electron IPC, and over the JSON codec of web mode.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TrainerEvent } from '../../../src/shared/api';
import { ApiError, INTERNAL_MESSAGE } from '../../../src/shared/errors';
import {
  TRAINER_METHODS,
  createApiClient,
  decodeMessage,
  encodeMessage,
  serveApi,
  type TransportMessage,
} from '../../../src/shared/transport/index';
import { CONFIG, FakeTrainer, point } from './fake-trainer';

type Wire = 'clone' | 'json';

/** Two ends of a channel; delivery is async, as over IPC or a socket. */
function connect(wire: Wire, trainer = new FakeTrainer()) {
  const toServer = new Set<(m: unknown) => void>();
  const toClient = new Set<(m: unknown) => void>();
  const carry = (msg: TransportMessage): unknown => (wire === 'json' ? decodeMessage(encodeMessage(msg)) : structuredClone(msg));
  const deliver = (targets: Set<(m: unknown) => void>, msg: TransportMessage): void => {
    const copy = carry(msg);
    setImmediate(() => targets.forEach((h) => h(copy)));
  };
  const onMessage = (targets: Set<(m: unknown) => void>) => (h: (m: unknown) => void) => {
    targets.add(h);
    return () => void targets.delete(h);
  };
  const serverSent: TransportMessage[] = [];
  const logged: { method: string; err: unknown }[] = [];
  const dispose = serveApi(
    trainer,
    trainer.subscribe,
    (m) => (serverSent.push(m), deliver(toClient, m)),
    onMessage(toServer),
    (method, err) => logged.push({ method, err }),
  );
  const client = createApiClient((m) => deliver(toServer, m), onMessage(toClient));
  const rawCall = (msg: unknown): void => void setImmediate(() => toServer.forEach((h) => h(msg)));
  return { client, trainer, dispose, serverSent, rawCall, logged };
}

/** Polls until `cond` holds (messages cross asynchronously), failing after a second. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

for (const wire of ['clone', 'json'] as const) {
  describe(`transport over ${wire}`, () => {
    test('every TrainerApi method round-trips with its value', async () => {
      const { client, trainer } = connect(wire);
      assert.deepEqual(await client.listDevices(), await trainer.listDevices());
      assert.deepEqual(await client.listDatasets(), [{ name: 'iris', kind: 'builtin', description: 'flowers' }]);
      assert.deepEqual(await client.validateRunConfig({ ...CONFIG, steps: 0 }), [{ path: 'steps', message: 'must be ≥ 1' }]);
      const { runId } = await client.startRun(CONFIG);
      const second = (await client.startRun({ ...CONFIG, steps: 20 })).runId;
      trainer.pushMetrics(runId, [point(1, 0.9), point(2, 0.8)]);
      assert.equal(await client.pauseRun(runId), null, 'void results arrive as null');
      assert.equal((await client.getRun(runId)).status, 'paused');
      await client.resumeRun(runId);
      await client.stopRun(second);
      assert.deepEqual(
        (await client.listRuns()).map((r) => [r.id, r.status]),
        [
          [runId, 'running'],
          [second, 'stopped'],
        ],
      );
      assert.deepEqual(
        (await client.getMetrics(runId, 1)).map((p) => p.step),
        [2],
      );
      assert.deepEqual(await client.diffConfigs([runId, second]), [{ path: 'steps', values: [10, 20] }]);
      assert.equal(await client.exportMetricsCsv(runId), 'step,loss\n1,0.9\n2,0.8');
      assert.deepEqual(await client.exportRun(runId, '/x'), {
        dir: '/x',
        files: ['model.json', 'weights.bin', 'optimizer.json', 'metrics.csv'],
      });
      assert.deepEqual(await client.previewLearningRate(0.5, 3), [0.5, 0.5, 0.5]);
      assert.deepEqual(await client.importOptimizerConfig('{"rho":0.9}'), { config: { rho: 0.9 } });
    });

    test('an optional argument left out stays absent (not null)', async () => {
      const { client, trainer } = connect(wire);
      const { runId } = await client.startRun(CONFIG);
      await client.getMetrics(runId);
      assert.deepEqual(trainer.calls.at(-1), { method: 'getMetrics', args: [runId] });
    });

    test('an ApiError crosses as {code, message, issues?} and is re-thrown as an ApiError, without a stack', async () => {
      const { client, serverSent } = connect(wire);
      const err = await client.getRun('nope').catch((e: unknown) => e);
      assert.ok(err instanceof ApiError, 'the caller gets an ApiError');
      assert.equal(err.code, 'not-found');
      assert.equal(err.message, 'unknown run nope');
      const result = serverSent.find((m) => m.kind === 'result' && !m.ok);
      assert.ok(result && result.kind === 'result' && !result.ok);
      assert.deepEqual(Object.keys(result.error).sort(), ['code', 'message']);
      const bad = await client.importOptimizerConfig('{rho').catch((e: unknown) => e);
      assert.ok(
        bad instanceof ApiError && bad.code === 'invalid-input',
        'importOptimizerConfig rejects instead of returning {error}',
      );
      assert.match(bad.message, /^not valid JSON/);
    });

    test('field-level issues travel with an invalid-input error', async () => {
      const { client, trainer } = connect(wire);
      trainer.startRun = async () => {
        throw new ApiError('invalid-input', 'data.normalise: unknown key', [
          { path: 'data.normalise', message: "unknown key 'normalise' (did you mean 'normalize'?)" },
        ]);
      };
      const err = await client.startRun(CONFIG).catch((e: unknown) => e);
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 'invalid-input');
      assert.deepEqual(err.issues, [{ path: 'data.normalise', message: "unknown key 'normalise' (did you mean 'normalize'?)" }]);
    });

    test('an unexpected error is internal with a generic message; its raw text stays in the engine log', async () => {
      const { client, serverSent, logged, trainer } = connect(wire);
      trainer.listRuns = async () => {
        throw new RangeError('Too few parameter values were provided');
      };
      const err = await client.listRuns().catch((e: unknown) => e);
      assert.ok(err instanceof ApiError);
      assert.equal(err.code, 'internal');
      assert.equal(err.message, INTERNAL_MESSAGE);
      assert.ok(!JSON.stringify(serverSent).includes('Too few parameter'), 'the raw SQLite text never crosses');
      assert.equal(logged.length, 1);
      assert.equal(logged[0]!.method, 'listRuns');
      assert.match((logged[0]!.err as Error).message, /Too few parameter values/);
      const pre = await client.previewLearningRate({ class_name: 'X', config: {} }, 3).catch((e: unknown) => e);
      assert.ok(pre instanceof ApiError && pre.code === 'internal' && pre.message === INTERNAL_MESSAGE);
    });

    test('only allow-listed methods can be called', async () => {
      const { rawCall, serverSent, trainer } = connect(wire);
      for (const [i, method] of [
        'shutdown',
        'subscribe',
        'constructor',
        '__proto__',
        'toString',
        'emit',
        'hasOwnProperty',
      ].entries()) {
        rawCall({ kind: 'call', id: i + 1, method, args: [] });
      }
      await until(() => serverSent.length === 7, 'seven refusals');
      for (const msg of serverSent) {
        assert.ok(msg.kind === 'result' && !msg.ok, 'refused');
        assert.equal(msg.error.code, 'invalid-input');
        assert.match(msg.error.message, /^unknown method/);
      }
      assert.deepEqual(trainer.calls, [], 'nothing reached the engine');
    });

    test('malformed calls are refused or dropped without harming the server', async () => {
      const { rawCall, serverSent, client } = connect(wire);
      rawCall(null);
      rawCall('listDevices');
      rawCall({ kind: 'call', method: 'listDevices', args: [] }); // no id: nobody to answer
      rawCall({ kind: 'call', id: 'x', method: 'listDevices', args: [] });
      rawCall({ kind: 'call', id: 9, method: 'listDevices', args: 'nope' });
      await until(() => serverSent.length > 0, 'the refusal');
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(serverSent, [
        { kind: 'result', id: 9, ok: false, error: { code: 'invalid-input', message: 'call args must be an array' } },
      ]);
      assert.equal((await client.listDevices()).length, 1, 'still serving');
    });

    test('events reach listeners until they unsubscribe; dispose stops forwarding', async () => {
      const { client, trainer, dispose } = connect(wire);
      const seen: TrainerEvent[] = [];
      const off = client.onEvent((e) => seen.push(e));
      const event: TrainerEvent = {
        type: 'metrics',
        runId: 'r',
        points: [point(1, Number.NaN), point(2, Number.POSITIVE_INFINITY)],
      };
      trainer.emit(event);
      trainer.emit({ type: 'worker-crash', runId: 'r', deviceId: 1, reason: 'killed' });
      await until(() => seen.length === 2, 'two events');
      assert.ok(Number.isNaN((seen[0] as typeof event).points[0].loss), 'NaN survives');
      assert.equal((seen[0] as typeof event).points[1].loss, Number.POSITIVE_INFINITY, 'Infinity survives');
      off();
      // A second listener proves the event was delivered while the first no longer hears it.
      let sentinel = 0;
      client.onEvent(() => sentinel++);
      trainer.emit({ type: 'status', runId: 'r', status: 'paused', step: 3 });
      await until(() => sentinel === 1, 'the sentinel listener');
      assert.equal(seen.length, 2);
      dispose();
      assert.equal(trainer.listenerCount, 0, 'serveApi unsubscribed from the engine');
    });
  });
}

test('the allow-list is exactly the TrainerApi methods', () => {
  const trainer = new FakeTrainer();
  const methods = Object.getOwnPropertyNames(FakeTrainer.prototype).filter(
    (n) =>
      n !== 'constructor' &&
      n !== 'shutdown' &&
      n !== 'emit' &&
      n !== 'pushMetrics' &&
      n !== 'record' &&
      n !== 'run' &&
      n !== 'listenerCount',
  );
  assert.deepEqual([...TRAINER_METHODS].sort(), methods.sort());
  assert.ok(!TRAINER_METHODS.includes('subscribe' as never) && typeof trainer.subscribe === 'function');
});

test('failPending rejects calls still waiting (a dropped connection)', async () => {
  const client = createApiClient(
    () => {},
    () => {},
  );
  const pending = client.listRuns();
  client.failPending('Connection to the trainer lost');
  await assert.rejects(pending, { message: 'Connection to the trainer lost', code: 'internal' });
});

test('a send that throws rejects the call instead of hanging', async () => {
  const client = createApiClient(
    () => {
      throw new Error('Not connected');
    },
    () => {},
  );
  await assert.rejects(client.listRuns(), { message: 'Not connected' });
});
