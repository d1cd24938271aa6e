/** Export actions shared by the run page, its checkpoints list and the runs list. */
import type { RendererApi } from '../../shared/api';
import { downloadBase64, downloadText, safeFileName } from './download';
import { toast, toastWithDetails } from './toast';

export async function exportCsv(api: RendererApi, runId: string, name: string): Promise<void> {
  try {
    const csv = await api.exportMetricsCsv(runId);
    downloadText(`${safeFileName(name)}-metrics.csv`, csv);
    toast(`Metrics of ${name} downloaded as CSV.`);
  } catch (err) {
    toast(`CSV export failed: ${(err as Error).message}`, 'error');
  }
}

/** The folder export; the toast names the folder and counts the files (their names on demand). */
export async function exportRunFolder(api: RendererApi, runId: string, name: string, checkpointStep?: number): Promise<void> {
  try {
    const options = checkpointStep === undefined ? {} : { checkpointStep };
    const { dir, files } = await api.exportRun(runId, undefined, options);
    const at = checkpointStep === undefined ? '' : ` at step ${checkpointStep}`;
    const names = files.map((f) => f.slice(f.lastIndexOf('/') + 1));
    toastWithDetails(`Exported ${name}${at}: ${files.length} files in`, dir, names, 10_000);
  } catch (err) {
    toast(`Export failed: ${(err as Error).message}`, 'error');
  }
}

/** The run as a Keras 3 archive, downloaded by the browser (works the same in web mode and Electron). */
export async function downloadKerasArchive(
  api: RendererApi,
  runId: string,
  name: string,
  checkpointStep?: number,
): Promise<void> {
  try {
    const { fileName, base64 } = await api.exportKerasArchive(runId, checkpointStep);
    downloadBase64(fileName, base64);
    toast(`${name} downloaded as ${fileName} (keras.saving.load_model continues it).`);
  } catch (err) {
    toast(`Keras export failed: ${(err as Error).message}`, 'error');
  }
}
