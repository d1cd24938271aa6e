export { parseModelJson, KerasConfigError } from './config';
export { SUPPORTED_LAYERS } from './registry';
export { SUPPORTED_LOSSES, type LossHead } from './losses';
export { savedLayers, kerasInputShape, kerasInputShapes } from './read-model';
