export { buildModel, type Model, type ParamSpec, type ParamInit, type ResolvedLayer } from './build';
export {
  validateModelSpec,
  ModelSpecError,
  type ModelSpec,
  type LayerSpec,
  type Activation,
  type LossName,
  type MetricName,
} from './spec';
export { initParams, initParamSlice, initState } from './init';
export { forward, paramTensors, dropoutMask, type ForwardOptions, type ParamValue } from './forward';
export {
  lossAndGrads,
  lossAndGradsSum,
  evaluate,
  evaluateSum,
  combineSums,
  meansFromSums,
  type BatchSums,
  type GradSums,
  type BatchMeans,
  type GradMeans,
  type StepOptions,
} from './train';
export type { Labels } from './parts';
export { buildKerasModel, buildKerasRunModel } from './keras-model';
export {
  parseModelJson,
  KerasConfigError,
  SUPPORTED_LAYERS,
  savedLayers,
  kerasInputShape,
  kerasInputShapes,
} from './keras/index';
