/** Keras learning-rate schedules (`keras.optimizers.schedules`), float32-exact, with (de)serialization. */
export { LearningRateSchedule, type ScheduleClass, type ScheduleConfig } from './learning-rate-schedule';
export { ExponentialDecay, type ExponentialDecayConfig, type ExponentialDecayOptions } from './exponential-decay';
export {
  PiecewiseConstantDecay,
  type PiecewiseConstantDecayConfig,
  type PiecewiseConstantDecayOptions,
} from './piecewise-constant-decay';
export { PolynomialDecay, type PolynomialDecayConfig, type PolynomialDecayOptions } from './polynomial-decay';
export { InverseTimeDecay, type InverseTimeDecayConfig, type InverseTimeDecayOptions } from './inverse-time-decay';
export { CosineDecay, type CosineDecayConfig, type CosineDecayOptions } from './cosine-decay';
export { CosineDecayRestarts, type CosineDecayRestartsConfig, type CosineDecayRestartsOptions } from './cosine-decay-restarts';
export { registerSchedule, getRegisteredName, getRegisteredSchedule, type RegisterScheduleOptions } from './registry';
export {
  serialize,
  deserialize,
  knownScheduleNames,
  KERAS_SCHEDULES_MODULE,
  type CustomObjects,
  type LegacySerializedSchedule,
  type SerializationFormat,
  type SerializedSchedule,
} from './serialization';
export { scheduleSeries } from './series';
