/**
 * `dtrain export RUN --cluster DIR`: what a Keras 3 cluster needs to continue the run — the archive
 * (model.keras), the data (data.npz, export/cluster-data.ts: `x`, `y`, or one array per input and
 * target, in file order and `order`, the row indices of the run's next batches), train.py
 * (keras.distribution with the run's mesh and layouts) and import.json (the run config that brings the result back as a run linked to this one).
 */
import { resolve } from 'node:path';
import { loadDatasetSync } from '../../datasets/load';
import { inspectDataSource } from '../../datasets/inspect-source';
import { datasetSourceOf } from '../../datasets/source';
import type { DataSource, RunConfig } from '../../shared/api';
import { invalidInput } from '../../shared/errors';
import type { Settings } from '../../shared/settings';
import type { RunStore } from '../store/index';
import { storedRunShape } from '../config/run-shape';
import { writeExportFiles } from '../files/out-path';
import { trainScript } from '../export/train-script';
import { batchOrder, clusterNpz } from '../export/cluster-data';
import { clusterLayouts } from '../export/cluster-layouts';
import { writeKerasArchive } from '../keras/archive';
import { runToKerasArchive } from '../keras/run-archive';
import type { ExportOptions } from './export-run';

/** The dataset as the run packs it (shape.packedData) and its batch order from \`step\` on, for \`steps\` steps. */
function dataNpz(data: RunConfig['data'], config: RunConfig, step: number, steps: number): Uint8Array {
  const ds = loadDatasetSync(datasetSourceOf(data as DataSource));
  const shuffle = (data as { shuffle?: unknown }).shuffle !== false;
  return clusterNpz(ds, batchOrder(ds.numExamples, config.globalBatchSize, config.seed, step, steps, shuffle));
}

export async function exportCluster(
  store: RunStore,
  runId: string,
  outDir: string,
  settings: Settings,
  options: ExportOptions = {},
): Promise<{ dir: string; files: string[] }> {
  const run = store.getRun(runId);
  const { checkpoint } = store.latestValidCheckpoint(runId);
  if (!checkpoint) throw invalidInput(`run ${runId} has no checkpoint to export`);
  const shape = storedRunShape(run.config, settings);
  const { config } = shape;
  const keras = shape.model.keras;
  const unusedTargets = (keras?.outputLosses?.unread ?? []).map((name) => ({
    name,
    shape: keras!.graph.outputs.find((o) => o.name === name)!.shape,
  }));
  // The run's remaining steps, or one pass over the data for a finished run.
  const remaining = config.steps - checkpoint.step;
  const numExamples = (await inspectDataSource(datasetSourceOf(shape.packedData as DataSource))).examples; // data.npz loads it once, below
  const steps = remaining > 0 ? remaining : Math.max(1, Math.floor(numExamples / config.globalBatchSize));
  // No optimizer: the archive's config and state continue.
  const back: Omit<RunConfig, 'optimizer'> = {
    name: `${run.name} (back from the cluster)`,
    model: { type: 'keras', path: 'trained.keras' },
    parent: runId,
    data: config.data,
    mesh: config.mesh,
    layouts: config.layouts ?? {},
    steps,
    globalBatchSize: config.globalBatchSize,
    seed: config.seed,
  };
  const files: [string, string | Uint8Array][] = [
    ['model.keras', await writeKerasArchive(runToKerasArchive(config, checkpoint))],
    ['data.npz', dataNpz(shape.packedData, config, checkpoint.step, steps)],
    [
      'train.py',
      trainScript({
        runId,
        runName: run.name,
        mesh: shape.mesh,
        variables: clusterLayouts(shape),
        globalBatchSize: config.globalBatchSize,
        step: checkpoint.step,
        unusedTargets,
      }),
    ],
    ['import.json', `${JSON.stringify(back, null, 2)}\n`],
  ];
  const written = writeExportFiles(outDir, files, options.force);
  return { dir: resolve(outDir), files: written };
}
