/** Exports: a run as files (Keras 3 archive, tfjs LayersModel, metrics, a cluster's kit), and Keras archives in and out. */
import { dirname, join } from 'node:path';
import type { Settings } from '../../shared/settings';
import type { RunStore } from '../store/index';
import { freshDir } from '../files/out-path';
import { storeUploadedArchive } from '../keras/uploads';
import { exportCluster } from './export-cluster';
import { exportKeras, exportRun, kerasArchiveBytes } from './export-run';
import { requireId } from './runs-service';

export interface ExportServiceOptions {
  store: RunStore;
  settings: Settings;
  /** Where exports go when no folder is given. */
  exportDir: string;
}

export class ExportService {
  constructor(private readonly o: ExportServiceOptions) {}

  async exportMetricsCsv(runId: string): Promise<string> {
    return this.o.store.metricsCsv(requireId(runId));
  }

  /** Without a folder: a new one per run (and per export) under the exports folder, never a shared one. */
  async exportRun(runId: string, outDir?: string, options: { force?: boolean; checkpointStep?: number } = {}) {
    const run = this.o.store.getRun(requireId(runId));
    const dir = outDir ?? freshDir(this.o.exportDir, `${safeFileName(run.name)}-${run.id}`);
    return exportRun(this.o.store, runId, dir, options);
  }

  /** Writes model.keras, data.npz, train.py and import.json for a Keras 3 cluster (CLI `export --cluster`). */
  async exportCluster(runId: string, dir: string, options: { force?: boolean } = {}) {
    return exportCluster(this.o.store, runId, dir, this.o.settings, options);
  }

  async importKerasArchive(fileName: string, base64: string) {
    return { path: await storeUploadedArchive(join(dirname(this.o.exportDir), 'archives'), fileName, base64) };
  }

  /** Writes the run's Keras 3 archive to `file` (CLI `export --keras`). */
  async exportKeras(runId: string, file: string, options: { force?: boolean } = {}) {
    return exportKeras(this.o.store, runId, file, options);
  }

  async exportKerasArchive(runId: string, checkpointStep?: number) {
    const run = this.o.store.getRun(requireId(runId));
    const bytes = await kerasArchiveBytes(this.o.store, runId, checkpointStep);
    const at = checkpointStep === undefined ? '' : `-step${checkpointStep}`;
    return { fileName: `${safeFileName(run.name)}${at}.keras`, base64: Buffer.from(bytes).toString('base64') };
  }
}

/** A file-name-safe version of a run name. */
function safeFileName(name: string): string {
  return name.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'run';
}
