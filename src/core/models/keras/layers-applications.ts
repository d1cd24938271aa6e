/** Keras's own layers that ship with keras.applications: ConvNeXt's LayerScale, Inception-ResNet's CustomScaleLayer. */
import * as tf from '@tensorflow/tfjs-core';
import { fail } from './config';
import { numberOf, oneInput, param, positiveInt, type Translator } from './layer-types';

/** x · γ, γ of shape [projection_dim] starting at init_values (its one variable). */
export const layerScale: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  const dim = positiveInt(entry, 'projection_dim');
  if (inShape[inShape.length - 1] !== dim)
    fail(`layer "${entry.name}" (LayerScale): projection_dim ${dim} does not match the input's last axis [${inShape}]`);
  const value = numberOf(entry.config, 'init_values', 0, entry);
  const gamma = {
    path: `${entry.name}/gamma`,
    shape: [dim],
    init: { kind: 'constant' as const, value },
    h5: { layer: '', index: 0 },
  };
  return { outShape: inShape, params: [gamma], apply: ([x], p) => tf.mul(x!, param(p, gamma.path)) };
};

/** inputs[0] + inputs[1] · scale. */
export const customScaleLayer: Translator = (entry, inShapes) => {
  if (inShapes.length !== 2 || inShapes[0]!.join() !== inShapes[1]!.join())
    fail(`layer "${entry.name}" (CustomScaleLayer) takes two inputs of one shape`);
  const scale = numberOf(entry.config, 'scale', 1, entry);
  return { outShape: inShapes[0]!, params: [], apply: ([a, b]) => tf.add(a!, tf.mul(b!, scale)) };
};
