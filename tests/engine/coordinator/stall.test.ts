// A worker that stops making progress without dying (SIGSTOP here; a deadlock or a hung GPU call in
// life) is declared stalled after the timeout: train() rejects naming the device and every worker,
// the stopped one included, is killed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mesh } from '../../../src/core/dtensor/mesh';
import { cpuDevices } from '../../../src/engine/coordinator/devices';
import { MeshSession } from '../../../src/engine/coordinator/mesh-session';
import { NodeProcessHost } from '../../../src/engine/coordinator/node-process-host';
import { isAlive, waitUntil } from '../../helpers/process';
import { IRIS_MLP, WORKER_ENTRY } from './helpers';

test('a SIGSTOPped worker is declared stalled and the whole mesh is stopped', { timeout: 120_000 }, async () => {
  const mesh = Mesh.parse('batch=2');
  const session = await MeshSession.start(
    { host: new NodeProcessHost(), workerEntry: WORKER_ENTRY, mesh, devices: cpuDevices(2), stallTimeoutMs: 3000 },
    IRIS_MLP,
  );
  const failures: string[] = [];
  session.onFailure((e) => failures.push(e.message));
  try {
    await session.train(0, 3);
    const pids = session.pids;
    process.kill(pids[1]!, 'SIGSTOP');
    const error = await session.train(3, 1_000_000).then(() => null, (e: Error) => e);
    const seconds = Number(/^device 1 worker made no progress for (\d+) s \(stalled\)/.exec(error?.message ?? '')?.[1]);
    // Not before the timeout: the reported time without progress is at least the 3 s configured.
    assert.ok(seconds >= 3, `${error?.message}`);
    assert.ok(await waitUntil(() => pids.every((p) => !isAlive(p)), 5000), 'every worker killed, the stopped one too');
    assert.match(failures[0] ?? '', /device 1/);
  } finally {
    await session.close();
  }
});
