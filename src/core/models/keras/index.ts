export { parseModelJson, KerasConfigError } from './config';
export { SUPPORTED_LAYERS } from './graph';
export { SUPPORTED_LOSSES, type LossHead } from './losses';
