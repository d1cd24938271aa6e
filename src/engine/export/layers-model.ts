/**
 * Export of trained parameters in the tfjs LayersModel format (model.json + weights.bin), loadable
 * with tf.loadLayersModel. The JSON model spec maps onto tfjs-layers one layer to one layer; our dense
 * flattens a rank > 1 input, which tfjs's does not, so a Flatten is inserted there.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model, ResolvedLayer } from '../../core/models/index';

function layerFor(l: ResolvedLayer, first: boolean): tf.layers.Layer[] {
  const input = first ? { inputShape: l.inShape } : {};
  switch (l.kind) {
    case 'dense': {
      const flatten = l.inShape.length > 1 ? [tf.layers.flatten({ ...input, name: `${l.name}_flatten` })] : [];
      const denseInput = flatten.length ? {} : input;
      return [
        ...flatten,
        tf.layers.dense({ ...denseInput, units: l.units, activation: l.activation, useBias: l.bias !== null, name: l.name }),
      ];
    }
    case 'conv2d':
      return [
        tf.layers.conv2d({
          ...input,
          filters: l.filters,
          kernelSize: l.kernelSize,
          strides: l.strides,
          padding: l.padding,
          activation: l.activation,
          useBias: l.bias !== null,
          name: l.name,
        }),
      ];
    case 'maxPool2d':
      return [tf.layers.maxPooling2d({ ...input, poolSize: l.poolSize, strides: l.strides, padding: l.padding, name: l.name })];
    case 'flatten':
      return [tf.layers.flatten({ ...input, name: l.name })];
    case 'dropout':
      return [tf.layers.dropout({ ...input, rate: l.rate, name: l.name })];
    case 'activation':
      return [tf.layers.activation({ ...input, activation: l.activation, name: l.name })];
  }
}

/** A tf.LayersModel with the given parameter values (by path). The caller disposes it. */
export function toLayersModel(model: Model, params: Map<string, Float32Array | Float64Array>): tf.LayersModel {
  const seq = tf.sequential({ name: model.spec.name ?? 'dtrain_model' });
  model.layers.forEach((l, i) => layerFor(l, i === 0).forEach((layer) => seq.add(layer)));
  const weights: tf.Tensor[] = [];
  for (const l of model.layers) {
    if (l.kind !== 'dense' && l.kind !== 'conv2d') continue;
    for (const path of [l.kernel, l.bias]) {
      if (path === null) continue;
      const spec = model.params.find((p) => p.path === path)!;
      const values = params.get(path);
      if (!values) throw new Error(`no values for parameter ${path}`);
      weights.push(tf.tensor(Float32Array.from(values), spec.shape));
    }
  }
  seq.setWeights(weights);
  weights.forEach((w) => w.dispose());
  return seq;
}

/** The files of a LayersModel save: model.json text and the weights.bin bytes. */
export async function layersModelFiles(model: tf.LayersModel): Promise<{ modelJson: string; weights: Uint8Array }> {
  let out: { modelJson: string; weights: Uint8Array } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData as ArrayBuffer;
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: 'dtrain',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      out = { modelJson: JSON.stringify(json), weights: new Uint8Array(data) };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
    }),
  );
  return out!;
}
