/**
 * `dtrain export`: a run's newest checkpoint as files. The folder export holds the Keras 3 archive
 * (model.keras), the tfjs LayersModel (model.json + weights.bin, for spec models), the optimizer's
 * Keras 3 config, the metrics CSV and run.json; `--keras` writes only the archive.
 */
import { resolve } from 'node:path';
import { assembleGlobal } from '../../core/checkpoint/index';
import { buildModel } from '../../core/models/index';
import { invalidInput } from '../../shared/errors';
import type { RunStore } from '../store/index';
import { layersModelFiles, toLayersModel } from '../export/layers-model';
import { writeExportFile, writeExportFiles } from '../files/out-path';
import { writeKerasArchive } from '../keras/archive';
import { keras3OptimizerConfig } from '../keras/compile-config';
import { runToKerasArchive } from '../keras/run-archive';
import { pythonJson } from '../keras/python-json';

export interface ExportOptions {
  /** Write into a non-empty folder / over an existing file. */
  force?: boolean;
  /** The checkpoint at this step instead of the default one (the best, else the newest). */
  checkpointStep?: number;
}

function latest(store: RunStore, runId: string, checkpointStep?: number) {
  const run = store.getRun(runId);
  if (checkpointStep !== undefined) {
    if (!Number.isSafeInteger(checkpointStep)) throw invalidInput(`a checkpoint step must be an integer (got ${checkpointStep})`);
    return { run, checkpoint: store.checkpointAtStep(runId, checkpointStep) };
  }
  const { checkpoint, skipped } = store.defaultCheckpoint(runId); // the best one (early stopping), else the newest
  if (!checkpoint)
    throw invalidInput(`run ${runId} has no checkpoint to export${skipped.length ? ' (the newest failed verification)' : ''}`);
  return { run, checkpoint };
}

/** The bytes of the run's Keras 3 archive (for a download). */
export async function kerasArchiveBytes(store: RunStore, runId: string, checkpointStep?: number): Promise<Uint8Array> {
  const { run, checkpoint } = latest(store, runId, checkpointStep);
  return writeKerasArchive(runToKerasArchive(run.config, checkpoint));
}

/** Writes the run's Keras 3 archive to `file`. */
export async function exportKeras(
  store: RunStore,
  runId: string,
  file: string,
  options: ExportOptions = {},
): Promise<{ file: string }> {
  const bytes = await kerasArchiveBytes(store, runId, options.checkpointStep);
  return { file: writeExportFile(file, bytes, options.force) };
}

export async function exportRun(
  store: RunStore,
  runId: string,
  outDir: string,
  options: ExportOptions = {},
): Promise<{ dir: string; files: string[] }> {
  const { run, checkpoint } = latest(store, runId, options.checkpointStep);
  const files: [string, string | Uint8Array][] = [
    ['model.keras', await writeKerasArchive(runToKerasArchive(run.config, checkpoint))],
  ];
  if (run.config.model.type !== 'keras') {
    const model = buildModel(run.config.model as never);
    const params = new Map(
      checkpoint.tensors
        .filter((t) => t.path.startsWith('params/'))
        .map((t) => [t.path.slice('params/'.length), assembleGlobal(t)]),
    );
    const layers = toLayersModel(model, params);
    const { modelJson, weights } = await layersModelFiles(layers);
    layers.dispose();
    files.push(['model.json', modelJson], ['weights.bin', weights]);
  }
  files.push(
    ['optimizer.json', `${pythonJson(keras3OptimizerConfig(run.config.optimizer), 2)}\n`],
    ['metrics.csv', store.metricsCsv(runId)],
    [
      'run.json',
      `${JSON.stringify({ id: run.id, name: run.name, status: run.status, step: checkpoint.step, config: run.config }, null, 2)}\n`,
    ],
  );
  // Everything is computed before the folder is touched: bad input leaves nothing behind.
  const written = writeExportFiles(outDir, files, options.force);
  return { dir: resolve(outDir), files: written };
}
