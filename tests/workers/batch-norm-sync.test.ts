/**
 * BatchNormalization over a mesh, with real worker processes: the statistics are the global batch's
 * (all-reduced inside forward and backward through the communication thread), so 2 workers holding
 * one example each reach what 1 worker holding both does — parameters, optimizer slots and the moving
 * statistics — although each worker's own batch has variance 0 everywhere. The worker log says the
 * thread is on and why; with the thread forced off ("commThread": "off", DTRAIN_COMM_THREAD=0) such a
 * run is refused in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { Mesh } from '../../src/core/dtensor/mesh';
import { cpuDevices } from '../../src/engine/coordinator/devices';
import { MeshSession } from '../../src/engine/coordinator/mesh-session';
import { NodeProcessHost } from '../../src/engine/coordinator/node-process-host';
import type { TrainSetup } from '../../src/shared/worker-protocol';
import type { CommThreadChoice } from '../../src/shared/api';
import { AUTO_COMPUTE } from '../../src/shared/settings';
import { assemble } from '../engine/coordinator/helpers';

const L = (class_name: string, config: object) => ({ module: 'keras.layers', class_name, config, registered_name: null });
const BN_MLP = {
  module: 'keras',
  class_name: 'Sequential',
  config: {
    name: 'bn_mlp',
    layers: [
      L('InputLayer', { batch_shape: [null, 4], name: 'in' }),
      L('Dense', { name: 'd1', units: 6 }),
      L('BatchNormalization', { name: 'bn', momentum: 0.9 }),
      L('ReLU', { name: 'r' }),
      L('Dense', { name: 'd2', units: 3 }),
    ],
  },
};

const SETUP: Omit<TrainSetup, 'socketDir'> = {
  model: { type: 'keras', json: BN_MLP, loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } } },
  data: { kind: 'builtin', name: 'iris' },
  layouts: {},
  optimizer: { learning_rate: 1.0, rho: 0.9, epsilon: 1e-6 },
  emaFirstStep: 'keras3',
  globalBatchSize: 2,
  seed: 7,
  compute: AUTO_COMPUTE,
};

async function train(meshText: string, commThread: CommThreadChoice, log: string[]): Promise<Map<string, Float64Array>> {
  const mesh = Mesh.parse(meshText);
  const session = await MeshSession.start(
    {
      host: new NodeProcessHost(),
      workerEntry: resolve('src/workers/device-worker.ts'),
      mesh,
      devices: cpuDevices(mesh.size),
      log: (l) => log.push(l),
    },
    { ...SETUP, compute: { ...SETUP.compute, commThread } },
  );
  try {
    await session.train(0, 5);
    return assemble(await session.exportShards());
  } finally {
    await session.close();
  }
}

test(
  'BatchNormalization on 2 workers with one example each equals 1 worker with both; the log says why the thread is on',
  { timeout: 300_000 },
  async () => {
    const one = await train('batch=1', 'auto', []);
    const log: string[] = [];
    const two = await train('batch=2', 'auto', log);
    assert.ok(
      log.some((l) =>
        /communication thread: on \(the model's BatchNormalization all-reduces batch statistics inside forward and backward\)/.test(
          l,
        ),
      ),
      `the worker log names the reason:\n${log.join('\n')}`,
    );
    assert.deepEqual([...two.keys()].sort(), [...one.keys()].sort());
    for (const path of ['state/bn/moving_mean', 'state/bn/moving_variance', 'params/bn/gamma', 'params/d1/kernel'])
      assert.ok(one.has(path), `the run holds ${path}`);
    for (const [path, a] of one) {
      const b = two.get(path)!;
      const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-3);
      a.forEach((v, i) => assert.ok(Math.abs(b[i]! - v) <= 2e-5 * scale, `${path}[${i}]: 2 workers ${b[i]}, 1 worker ${v}`));
    }
    // The moving variance moved towards the global batch's variance: not the 0 of a one-example batch.
    const mv = one.get('state/bn/moving_variance')!;
    assert.ok(
      mv.every((v) => v > 0.5),
      `moving variance ${[...mv]}`,
    );
  },
);

test(
  'BatchNormalization on 2 workers with the communication thread forced off: refused in one line',
  { timeout: 120_000 },
  async () => {
    await assert.rejects(
      train('batch=2', 'off', []),
      /BatchNormalization \(global batch statistics\) needs the communication thread .*"commThread": "off"/,
    );
  },
);
