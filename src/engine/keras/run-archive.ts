/**
 * A stored run's newest checkpoint as a Keras 3 archive: every parameter and optimizer slot gathered
 * from its shards, placed where Keras keeps them.
 */
import { assembleGlobal, type CheckpointData } from '../../core/checkpoint/index';
import { buildModel } from '../../core/models/index';
import type { RunConfig } from '../../shared/api';
import { invalidInput } from '../../shared/errors';
import type { KerasArchive } from './archive';
import { keras3OptimizerConfig, lossObject } from './compile-config';
import { kerasParamsOf, kerasStateOf } from './run-model';
import { toKerasArchive } from './export-archive';
import { parseSlotPath } from './optimizer-order';
import { specToKeras, type KerasModelDescription } from './spec-to-keras';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The Keras model of a run's config: a Keras model config as given, a JSON spec as its Sequential twin. */
export function kerasModelOf(config: RunConfig): KerasModelDescription {
  const model = buildModel(config.model as never);
  if (!model.keras) return specToKeras(model);
  const { compile_config: _compile, ...modelConfig } = model.keras.modelConfig;
  if (!isObj(modelConfig.config) || typeof modelConfig.class_name !== 'string')
    throw invalidInput("the run's Keras model config has no class_name and config to export");
  const loss = model.keras.compileConfig?.loss;
  return {
    modelConfig,
    params: kerasParamsOf(model),
    state: kerasStateOf(model),
    metrics: model.keras.compileConfig?.metrics ?? null,
    lossWeights: model.keras.compileConfig?.loss_weights ?? null,
    weightedMetrics: model.keras.compileConfig?.weighted_metrics ?? null,
    loss:
      loss === undefined || loss === null
        ? lossObject(model.loss === 'mse' ? 'mse' : 'sparse_cce_logits')
        : (loss as Record<string, unknown>),
  };
}

/** The Keras 3 archive of `checkpoint` (a checkpoint of a run with `config`). */
export function runToKerasArchive(config: RunConfig, checkpoint: CheckpointData): KerasArchive {
  const model = kerasModelOf(config);
  const optimizerConfig = keras3OptimizerConfig(config.optimizer);
  const params = new Map<string, Float32Array | Float64Array>();
  const state = new Map<string, Float32Array | Float64Array>();
  const slots = new Map<string, Float32Array>();
  for (const t of checkpoint.tensors) {
    if (t.path.startsWith('params/')) params.set(t.path.slice('params/'.length), assembleGlobal(t));
    if (t.path.startsWith('state/')) state.set(t.path.slice('state/'.length), assembleGlobal(t));
    const slot = parseSlotPath(t.path);
    if (slot) slots.set(`${slot.slot}/${slot.param}`, Float32Array.from(assembleGlobal(t)));
  }
  const lr = optimizerConfig.learning_rate;
  return toKerasArchive(model, optimizerConfig, {
    params,
    state,
    optimizer: { iterations: checkpoint.iterations, learningRate: typeof lr === 'number' ? Math.fround(lr) : null, slots },
  });
}
