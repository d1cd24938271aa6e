/** The public library: Keras-exact, mesh/layout-aware Adadelta and the DTensor pieces it stands on. */
export { Adadelta, type AdadeltaArgs, type ConfigFlavour } from './optimizers/adadelta';
export {
  BaseOptimizer,
  IterationsVariable,
  type GradAndVar,
  type ModelVariable,
  type OptimizerVariable,
} from './optimizers/base-optimizer';
export { IndexedSlices } from './optimizers/indexed-slices';
export { ShardedVariable, type ShardedVariableOptions } from './variables/sharded-variable';
export { Mesh } from './dtensor/mesh';
export { Layout, UNSHARDED, MATCH } from './dtensor/layout';
export { LayoutMap } from './dtensor/layout-map';
export * as schedules from './optimizers/schedules';
export type { Collectives } from './collectives/types';
export { createLocalCollectives } from './collectives/local';
export { ValueError, KeyError, RuntimeError, setWarningHandler } from './errors';
