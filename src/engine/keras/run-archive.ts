/**
 * A stored run's newest checkpoint as a Keras 3 archive: every parameter and optimizer slot gathered
 * from its shards, placed where Keras keeps them.
 */
import { assembleGlobal, type CheckpointData } from '../../core/checkpoint/index';
import { buildModel } from '../../core/models/index';
import type { RunConfig } from '../../shared/api';
import { invalidInput } from '../../shared/errors';
import type { KerasArchive } from './archive';
import { keras3OptimizerConfig } from './compile-config';
import { toKerasArchive } from './export-archive';
import { parseSlotPath } from './optimizer-order';
import { specToKeras, type KerasModelDescription } from './spec-to-keras';

/** The Keras model of a run's config. */
export function kerasModelOf(config: RunConfig): KerasModelDescription {
  if (config.model.type === 'keras') throw invalidInput('exporting a run built from a Keras archive is not available yet');
  return specToKeras(buildModel(config.model as never));
}

/** The Keras 3 archive of `checkpoint` (a checkpoint of a run with `config`). */
export function runToKerasArchive(config: RunConfig, checkpoint: CheckpointData): KerasArchive {
  const model = kerasModelOf(config);
  const optimizerConfig = keras3OptimizerConfig(config.optimizer);
  const params = new Map<string, Float32Array | Float64Array>();
  const slots = new Map<string, Float32Array>();
  for (const t of checkpoint.tensors) {
    if (t.path.startsWith('params/')) params.set(t.path.slice('params/'.length), assembleGlobal(t));
    const slot = parseSlotPath(t.path);
    if (slot) slots.set(`${slot.slot}/${slot.param}`, Float32Array.from(assembleGlobal(t)));
  }
  const lr = optimizerConfig.learning_rate;
  return toKerasArchive(model, optimizerConfig, {
    params,
    optimizer: { iterations: checkpoint.iterations, learningRate: typeof lr === 'number' ? Math.fround(lr) : null, slots },
  });
}
