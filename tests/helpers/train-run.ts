// Trains one run over real worker processes with some environment settings for the workers, and
// returns what bit-for-bit comparisons need: device 0's reported losses and every exported shard.
import { startSession } from '../engine/coordinator/helpers';
import type { ShardRecord, TrainSetup } from '../../src/shared/worker-protocol';
import { AUTO_COMPUTE } from '../../src/shared/settings';

/** An MLP large enough for two reduce and two gather buckets of 1 MiB, rows sharded over `batch`. */
export const TWO_BUCKET_MLP: Omit<TrainSetup, 'socketDir'> = {
  // 64·1024 + 1024·256 floats (1.3 MB): reduce buckets [dense_2, dense_1] [dense], gather buckets [dense, dense_1.kernel] [the rest]
  model: {
    type: 'mlp',
    input: [64],
    layers: [
      { type: 'dense', units: 1024, activation: 'relu' },
      { type: 'dense', units: 256, activation: 'relu' },
      { type: 'dense', units: 10 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'synthetic', name: 'blobs', options: { numClasses: 10, numFeatures: 64, samplesPerClass: 20, seed: 5 } },
  layouts: { 'dense.*kernel': ['batch', 'unsharded'], 'dense.*bias': ['batch'] },
  optimizer: { learning_rate: 1.0, rho: 0.9, epsilon: 1e-6 },
  globalBatchSize: 48,
  seed: 11,
  compute: AUTO_COMPUTE,
};
export interface TrainedRun {
  losses: number[];
  /** Device 0's reported gradient norm per step. */
  gradNorms: number[];
  shards: ShardRecord[];
  /** Every shard before the first step (the run's initial values). */
  initial: ShardRecord[];
  /** What each worker took: its backend, its start-up notes (native BLAS, communication thread), its storage. */
  workers: { backend: string; notes: string[]; storage: string | undefined }[];
}

const byPlace = (shards: ShardRecord[]) =>
  shards.sort((a, b) => `${a.path}${a.slices[0]?.start}`.localeCompare(`${b.path}${b.slices[0]?.start}`));

/** The compute path is the setup's (`compute`: backend, native BLAS, communication thread, storage). */
export async function trainRun(mesh: string, setup: Omit<TrainSetup, 'socketDir'>, steps: number): Promise<TrainedRun> {
  const session = await startSession(mesh, setup);
  try {
    const losses: number[] = [];
    const gradNorms: number[] = [];
    session.onEvent((e) => {
      if (e.type !== 'step' || e.deviceId !== 0) return;
      losses.push(e.report.loss);
      gradNorms.push(e.report.gradNorm);
    });
    const initial = byPlace(await session.exportShards());
    await session.train(0, steps);
    const stats = await session.stats();
    const workers = session.infos.map((w, i) => ({ backend: w.backend, notes: w.backendNotes, storage: stats[i]?.storage }));
    return { losses, gradNorms, shards: byPlace(await session.exportShards()), initial, workers };
  } finally {
    await session.close();
  }
}

/** A typed array's raw bytes as hex: equal strings mean equal bits (NaN payloads and -0 included). */
export const bits = (d: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }): string =>
  Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
