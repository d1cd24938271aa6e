/** `dtrain export`: weights (tfjs LayersModel), the optimizer's Keras config, and the metrics CSV. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assembleGlobal } from '../../core/checkpoint/index';
import { buildModel } from '../../core/models/index';
import type { RunStore } from '../store/index';
import { layersModelFiles, toLayersModel } from '../export/layers-model';

export async function exportRun(store: RunStore, runId: string, outDir: string): Promise<{ dir: string; files: string[] }> {
  const run = store.getRun(runId);
  const { checkpoint, skipped } = store.latestValidCheckpoint(runId);
  if (!checkpoint) throw new Error(`run ${runId} has no checkpoint to export${skipped.length ? ' (the newest failed verification)' : ''}`);
  const model = buildModel(run.config.model);
  const params = new Map(checkpoint.tensors.filter((t) => t.path.startsWith('params/')).map((t) => [t.path.slice('params/'.length), assembleGlobal(t)]));
  const layers = toLayersModel(model, params);
  const { modelJson, weights } = await layersModelFiles(layers);
  layers.dispose();
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const files: [string, string | Uint8Array][] = [
    ['model.json', modelJson],
    ['weights.bin', weights],
    ['optimizer.json', `${JSON.stringify(run.config.optimizer, null, 2)}\n`],
    ['metrics.csv', store.metricsCsv(runId)],
    ['run.json', `${JSON.stringify({ id: run.id, name: run.name, status: run.status, step: checkpoint.step, config: run.config }, null, 2)}\n`],
  ];
  for (const [name, data] of files) writeFileSync(join(dir, name), data);
  return { dir, files: files.map(([name]) => join(dir, name)) };
}
