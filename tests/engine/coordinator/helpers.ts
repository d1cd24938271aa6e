import { resolve } from 'node:path';
import { Mesh } from '../../../src/core/dtensor/mesh';
import { insertShard } from '../../../src/core/dtensor/shard';
import { cpuDevices } from '../../../src/engine/coordinator/devices';
import { MeshSession } from '../../../src/engine/coordinator/mesh-session';
import { NodeProcessHost } from '../../../src/engine/coordinator/node-process-host';
import type { ShardRecord, TrainSetup } from '../../../src/shared/worker-protocol';
import { AUTO_COMPUTE } from '../../../src/shared/settings';

export const WORKER_ENTRY = resolve('src/workers/device-worker.ts');

export function startSession(meshText: string, setup: Omit<TrainSetup, 'socketDir'>): Promise<MeshSession> {
  const mesh = Mesh.parse(meshText);
  return MeshSession.start(
    { host: new NodeProcessHost(), workerEntry: WORKER_ENTRY, mesh, devices: cpuDevices(mesh.size) },
    setup,
  );
}

/** Global values by logical path, assembled from every device's primary shards. */
export function assemble(shards: ShardRecord[]): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const s of shards) {
    const size = s.globalShape.reduce((a, b) => a * b, 1);
    if (!out.has(s.path)) out.set(s.path, new Float64Array(size).fill(NaN));
    insertShard(out.get(s.path)!, s.globalShape, s.slices, Float64Array.from(s.data));
  }
  return out;
}

export const IRIS_MLP: Omit<TrainSetup, 'socketDir'> = {
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'builtin', name: 'iris' },
  layouts: {},
  optimizer: { learning_rate: 1.0, rho: 0.9, epsilon: 1e-6 },
  globalBatchSize: 30,
  seed: 3,
  compute: AUTO_COMPUTE,
};
