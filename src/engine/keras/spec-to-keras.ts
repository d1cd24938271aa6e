/**
 * A JSON model spec (mlp / sequential) as the equivalent Keras 3 Sequential config, and where each of
 * its parameters sits in the weights file. Our dense layer flattens a rank > 1 input and Keras's does
 * not, so a Flatten goes in front of such a layer.
 */
import type { Model, ResolvedLayer } from '../../core/models/index';
import type { KerasParam } from './archive-state';
import { lossObject } from './compile-config';
import { layerKeys } from './layer-keys';

const batchShape = (shape: readonly number[]) => [null, ...shape];

function layer(className: string, config: Record<string, unknown>, inShape: readonly number[]): Record<string, unknown> {
  return {
    module: 'keras.layers',
    class_name: className,
    config: { trainable: true, dtype: 'float32', ...config },
    registered_name: null,
    build_config: { input_shape: batchShape(inShape) },
  };
}

function kerasLayers(l: ResolvedLayer): Record<string, unknown>[] {
  switch (l.kind) {
    case 'dense': {
      const flatten =
        l.inShape.length > 1 ? [layer('Flatten', { name: `${l.name}_flatten`, data_format: 'channels_last' }, l.inShape)] : [];
      const inShape = l.inShape.length > 1 ? [l.inShape.reduce((a, b) => a * b, 1)] : l.inShape;
      return [
        ...flatten,
        layer('Dense', { name: l.name, units: l.units, activation: l.activation, use_bias: l.bias !== null }, inShape),
      ];
    }
    case 'conv2d':
      return [
        layer(
          'Conv2D',
          {
            name: l.name,
            filters: l.filters,
            kernel_size: l.kernelSize,
            strides: l.strides,
            padding: l.padding,
            data_format: 'channels_last',
            dilation_rate: [1, 1],
            groups: 1,
            activation: l.activation,
            use_bias: l.bias !== null,
          },
          l.inShape,
        ),
      ];
    case 'maxPool2d':
      return [
        layer(
          'MaxPooling2D',
          { name: l.name, pool_size: l.poolSize, strides: l.strides, padding: l.padding, data_format: 'channels_last' },
          l.inShape,
        ),
      ];
    case 'flatten':
      return [layer('Flatten', { name: l.name, data_format: 'channels_last' }, l.inShape)];
    case 'dropout':
      return [layer('Dropout', { name: l.name, rate: l.rate, seed: null, noise_shape: null }, l.inShape)];
    case 'activation':
      return [layer('Activation', { name: l.name, activation: l.activation }, l.inShape)];
  }
}

export interface KerasModelDescription {
  /** config.json without compile_config: `{module, class_name, config, registered_name, build_config}`. */
  modelConfig: Record<string, unknown>;
  /** Trainable parameters in Keras's weight order, with their place in the weights file. */
  params: KerasParam[];
  /** Non-trainable variables (BatchNormalization's moving statistics), with their places. */
  state?: KerasParam[];
  loss: Record<string, unknown>;
  /** compile_config's `metrics`: Keras names or serialised metric objects, null for none. */
  metrics: unknown;
  /** compile_config's `loss_weights` as given (a model with several outputs weighs its losses); null for none. */
  lossWeights?: unknown;
  /** compile_config's `weighted_metrics` as given; null for none. */
  weightedMetrics?: unknown;
}

/** The Keras Sequential equivalent of a spec model. */
export function specToKeras(model: Model): KerasModelDescription {
  const name = model.spec.name ?? 'sequential';
  const input = {
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: { batch_shape: batchShape(model.inputShape), dtype: 'float32', sparse: false, name: 'input_layer' },
    registered_name: null,
  };
  const modelConfig = {
    module: 'keras',
    class_name: 'Sequential',
    registered_name: null,
    config: {
      name,
      trainable: true,
      dtype: 'float32',
      layers: [input, ...model.layers.flatMap(kerasLayers)],
      build_input_shape: batchShape(model.inputShape),
    },
    build_config: { input_shape: batchShape(model.inputShape) },
  };
  const keyOf = new Map(layerKeys(modelConfig).map((k) => [k.name, k.key]));
  const shapeOf = new Map(model.params.map((p) => [p.path, p.shape]));
  const params: KerasParam[] = [];
  for (const l of model.layers) {
    if (l.kind !== 'dense' && l.kind !== 'conv2d') continue;
    [l.kernel, l.bias].forEach((path, index) => {
      if (path !== null) params.push({ path, shape: shapeOf.get(path)!, layer: keyOf.get(l.name)!, index });
    });
  }
  // Keras resolves "accuracy" by the loss (sparse_categorical_accuracy here) and "mae" to MeanAbsoluteError.
  const metrics = model.metrics.length > 0 ? [...model.metrics] : null;
  return { modelConfig, params, loss: lossObject(model.loss === 'mse' ? 'mse' : 'sparse_cce_logits'), metrics };
}
