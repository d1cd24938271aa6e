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
    const error = await session.train(3, 1_000_000).then(
      () => null,
      (e: Error) => e,
    );
    const seconds = Number(/^device 1 worker made no progress for (\d+) s \(stalled\)/.exec(error?.message ?? '')?.[1]);
    // Not before the timeout: the reported time without progress is at least the 3 s configured.
    assert.ok(seconds >= 3, `${error?.message}`);
    assert.ok(await waitUntil(() => pids.every((p) => !isAlive(p)), 5000), 'every worker killed, the stopped one too');
    assert.match(failures[0] ?? '', /device 1/);
  } finally {
    await session.close();
  }
});

// Steps slower than the watchdog's timeout (a large batch on a slow backend, or a swapping machine):
// the watchdog's ping round found every worker answering, each having just finished a step, and still
// killed one, reporting "no progress for 0 s". Progress during the check must reset the clock, and a
// kill must report the real silence.
test(
  'workers whose steps outlast the timeout but keep finishing them are not declared stalled',
  { timeout: 180_000 },
  async () => {
    const mesh = Mesh.parse('batch=2');
    const slow = {
      ...IRIS_MLP,
      model: {
        type: 'mlp',
        input: [256],
        layers: [
          { type: 'dense', units: 512, activation: 'relu' },
          { type: 'dense', units: 3 },
        ],
        loss: 'softmax_cross_entropy',
        metrics: [],
      },
      data: { kind: 'synthetic', name: 'blobs', options: { numClasses: 3, numFeatures: 256, samplesPerClass: 300, seed: 1 } },
      globalBatchSize: 900,
      compute: { ...IRIS_MLP.compute, backend: 'cpu' }, // about 0.4 s per step for this batch, more than the timeout
    } as typeof IRIS_MLP;
    const session = await MeshSession.start(
      { host: new NodeProcessHost(), workerEntry: WORKER_ENTRY, mesh, devices: cpuDevices(2), stallTimeoutMs: 300 },
      slow,
    );
    const failures: string[] = [];
    session.onFailure((e) => failures.push(e.message));
    try {
      const times: number[] = [];
      session.onEvent((e) => e.type === 'step' && e.deviceId === 0 && times.push(Date.now()));
      const error = await session.train(0, 4).then(
        () => null,
        (e: Error) => e,
      );
      assert.equal(error, null, `the run was stopped: ${error?.message}`);
      assert.deepEqual(failures, []);
      assert.equal(times.length, 4);
    } finally {
      await session.close();
    }
  },
);
