/**
 * The `compile_config` of an exported archive: the optimizer as Keras 3 serializes it (the full
 * `get_config()` wrapped as `{module, class_name, config, registered_name}`) and the loss object.
 */
import { Adadelta } from '../../core/optimizers/adadelta';

/** Our optimizer config as Keras 3's `Adadelta.get_config()`: its key set, schedules in the v3 dict form. */
export function keras3OptimizerConfig(config: Record<string, unknown>): Record<string, unknown> {
  return Adadelta.fromConfig(config).getConfig({ flavour: 'keras3', scheduleFormat: 'keras2.13' });
}

export const serializedOptimizer = (config: Record<string, unknown>) => ({
  module: 'keras.optimizers',
  class_name: 'Adadelta',
  config,
  registered_name: null,
});

export type KerasLossName = 'sparse_cce_logits' | 'mse';

const LOSS_OBJECTS: Record<KerasLossName, Record<string, unknown>> = {
  sparse_cce_logits: {
    module: 'keras.losses',
    class_name: 'SparseCategoricalCrossentropy',
    registered_name: null,
    config: { name: 'sparse_categorical_crossentropy', reduction: 'sum_over_batch_size', from_logits: true, ignore_class: null },
  },
  mse: {
    module: 'keras.losses',
    class_name: 'MeanSquaredError',
    registered_name: null,
    config: { name: 'mean_squared_error', reduction: 'sum_over_batch_size' },
  },
};

/**
 * A Keras 3 `compile_config` with this optimizer config (Keras 3 form), loss, loss weights, metrics and weighted metrics (as Keras
 * saves `compile(metrics=…)`: names or serialised metric objects; null for none), so Keras's
 * evaluate and fit on the archive report the run's metrics, not the loss alone.
 */
export function compileConfig(
  optimizer: Record<string, unknown>,
  loss: Record<string, unknown>,
  metrics: unknown = null,
  lossWeights: unknown = null,
  weightedMetrics: unknown = null,
): Record<string, unknown> {
  return {
    optimizer: serializedOptimizer(optimizer),
    loss,
    loss_weights: lossWeights,
    metrics,
    weighted_metrics: weightedMetrics,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: true,
  };
}

export const lossObject = (name: KerasLossName): Record<string, unknown> => structuredClone(LOSS_OBJECTS[name]);
