/**
 * Which translator reads each Keras class: the layers of `keras.layers` (and their aliases), the
 * layers keras.applications registers, nested models, and keras.ops calls. Every unsupported class of
 * a model is named in one error, with the supported list.
 */
import { fail, MODEL_CLASSES, type LayerEntry } from './config';
import type { Translator } from './layer-types';
import { activation, eluLayer, leakyReluLayer, preluLayer, reluLayer, softmaxLayer } from './layers-activation';
import { customScaleLayer, layerScale } from './layers-applications';
import { multiHeadAttention } from './layers-attention';
import { conv1d, conv2d, depthwiseConv1d, depthwiseConv2d, separableConv1d, separableConv2d } from './layers-conv';
import { add, average, concatenate, dot, maximum, minimum, multiply, subtract } from './layers-merge';
import { batchNormalization, groupNormalization, layerNormalization, unitNormalization } from './layers-normalization';
import {
  averagePooling1d,
  averagePooling2d,
  globalAveragePooling1d,
  globalAveragePooling2d,
  globalMaxPooling1d,
  globalMaxPooling2d,
  maxPooling1d,
  maxPooling2d,
} from './layers-pooling';
import { normalization, rescaling } from './layers-preprocessing';
import {
  alphaDropout,
  dropout,
  gaussianDropout,
  gaussianNoise,
  spatialDropout1d,
  spatialDropout2d,
  stochasticDepth,
} from './layers-random';
import { bidirectional, gru, lstm, simpleRnn } from './layers-recurrent';
import {
  cropping1d,
  cropping2d,
  flatten,
  identity,
  inputLayer,
  nestedModelOutput,
  permute,
  repeatVector,
  reshape,
  upSampling1d,
  upSampling2d,
  zeroPadding1d,
  zeroPadding2d,
} from './layers-shaping';
import { dense, embedding } from './layers-weighted';
import { OP_CLASSES, opNode } from './ops-nodes';

/** keras.layers classes (Keras 3.15 names and aliases) this trainer reads. */
export const TRANSLATORS: Record<string, Translator> = {
  InputLayer: inputLayer,
  Dense: dense,
  Embedding: embedding,
  Conv1D: conv1d,
  Convolution1D: conv1d,
  Conv2D: conv2d,
  Convolution2D: conv2d,
  DepthwiseConv1D: depthwiseConv1d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv1D: separableConv1d,
  SeparableConvolution1D: separableConv1d,
  SeparableConv2D: separableConv2d,
  SeparableConvolution2D: separableConv2d,
  MaxPooling1D: maxPooling1d,
  MaxPool1D: maxPooling1d,
  MaxPooling2D: maxPooling2d,
  MaxPool2D: maxPooling2d,
  AveragePooling1D: averagePooling1d,
  AvgPool1D: averagePooling1d,
  AveragePooling2D: averagePooling2d,
  AvgPool2D: averagePooling2d,
  GlobalAveragePooling1D: globalAveragePooling1d,
  GlobalAvgPool1D: globalAveragePooling1d,
  GlobalAveragePooling2D: globalAveragePooling2d,
  GlobalAvgPool2D: globalAveragePooling2d,
  GlobalMaxPooling1D: globalMaxPooling1d,
  GlobalMaxPool1D: globalMaxPooling1d,
  GlobalMaxPooling2D: globalMaxPooling2d,
  GlobalMaxPool2D: globalMaxPooling2d,
  ZeroPadding1D: zeroPadding1d,
  ZeroPadding2D: zeroPadding2d,
  Cropping1D: cropping1d,
  Cropping2D: cropping2d,
  UpSampling1D: upSampling1d,
  UpSampling2D: upSampling2d,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  RepeatVector: repeatVector,
  Identity: identity,
  Dropout: dropout,
  SpatialDropout1D: spatialDropout1d,
  SpatialDropout2D: spatialDropout2d,
  GaussianNoise: gaussianNoise,
  GaussianDropout: gaussianDropout,
  AlphaDropout: alphaDropout,
  Activation: activation,
  ReLU: reluLayer,
  Softmax: softmaxLayer,
  LeakyReLU: leakyReluLayer,
  ELU: eluLayer,
  PReLU: preluLayer,
  LayerNormalization: layerNormalization,
  BatchNormalization: batchNormalization,
  GroupNormalization: groupNormalization,
  UnitNormalization: unitNormalization,
  Rescaling: rescaling,
  Normalization: normalization,
  Add: add,
  Subtract: subtract,
  Multiply: multiply,
  Average: average,
  Maximum: maximum,
  Minimum: minimum,
  Concatenate: concatenate,
  Dot: dot,
  SimpleRNN: simpleRnn,
  LSTM: lstm,
  GRU: gru,
  Bidirectional: bidirectional,
  MultiHeadAttention: multiHeadAttention,
};

/** Layers keras.applications defines and registers (config `registered_name`). */
export const APPLICATION_LAYERS: Record<string, Translator> = {
  LayerScale: layerScale,
  StochasticDepth: stochasticDepth,
  CustomScaleLayer: customScaleLayer,
};

const isApplicationLayer = (l: LayerEntry) =>
  l.className in APPLICATION_LAYERS && (l.module === null || l.module.startsWith('keras.src.applications'));

export function translatorOf(layer: LayerEntry): Translator {
  if (layer.isOp) return OP_CLASSES.includes(layer.className) ? opNode : fail(`internal: keras op ${layer.className}`);
  if (MODEL_CLASSES.has(layer.className)) return nestedModelOutput;
  if (isApplicationLayer(layer)) return APPLICATION_LAYERS[layer.className]!;
  return TRANSLATORS[layer.className] ?? fail(`internal: layer class ${layer.className}`);
}

const supported = (l: LayerEntry) =>
  l.isOp
    ? OP_CLASSES.includes(l.className)
    : MODEL_CLASSES.has(l.className) || isApplicationLayer(l) || l.className in TRANSLATORS;

export const SUPPORTED_LAYERS = [
  ...new Set(Object.values(TRANSLATORS).map((t) => Object.keys(TRANSLATORS).find((k) => TRANSLATORS[k] === t)!)),
];

/** One message naming every unsupported class of the model (with its layers), or null when all are supported. */
export function unsupportedIn(layers: LayerEntry[]): string | null {
  const missing = new Map<string, string[]>();
  for (const l of layers) {
    if (supported(l)) continue;
    const label = l.isOp
      ? `keras.ops ${l.className}`
      : l.module && !l.module.startsWith('keras')
        ? `${l.className} (${l.module})`
        : l.className;
    missing.set(label, [...(missing.get(label) ?? []), l.name]);
  }
  if (missing.size === 0) return null;
  const list = [...missing].map(
    ([c, names]) => `${c} (${names.slice(0, 3).join(', ')}${names.length > 3 ? `, … ${names.length} layers` : ''})`,
  );
  return (
    `${missing.size} class${missing.size === 1 ? ' is' : 'es are'} not supported: ${list.join('; ')}. ` +
    `Supported layers: ${SUPPORTED_LAYERS.join(', ')}; keras.applications: ${Object.keys(APPLICATION_LAYERS).join(', ')}; ` +
    `keras.ops: ${OP_CLASSES.join(', ')}`
  );
}
