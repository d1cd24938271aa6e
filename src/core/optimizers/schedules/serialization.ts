/**
 * `keras.optimizers.schedules.serialize` / `deserialize`, both dict generations:
 * - 'keras2.13' (v2.13+ `serialization_lib`): {module, class_name, config, registered_name};
 * - 'legacy' (v2.11/2.12 legacy serializer): {class_name, config}.
 */
import { CosineDecay } from './cosine-decay';
import { CosineDecayRestarts } from './cosine-decay-restarts';
import { ExponentialDecay } from './exponential-decay';
import { InverseTimeDecay } from './inverse-time-decay';
import { LearningRateSchedule, classNameOf, type ScheduleClass, type ScheduleConfig } from './learning-rate-schedule';
import { PiecewiseConstantDecay } from './piecewise-constant-decay';
import { PolynomialDecay } from './polynomial-decay';
import { getRegisteredName, getRegisteredPackage, getRegisteredSchedule, registeredScheduleNames } from './registry';

/** The public Keras module of the built-in schedules. */
export const KERAS_SCHEDULES_MODULE = 'keras.optimizers.schedules';

export type SerializationFormat = 'keras2.13' | 'legacy';

export interface SerializedSchedule {
  module: string | null;
  class_name: string;
  config: ScheduleConfig;
  registered_name: string | null;
}

export interface LegacySerializedSchedule {
  class_name: string;
  config: ScheduleConfig;
}

export type CustomObjects = Readonly<Record<string, ScheduleClass>>;

const BUILT_INS: ReadonlyMap<string, ScheduleClass> = new Map<string, ScheduleClass>([
  ['ExponentialDecay', ExponentialDecay],
  ['PiecewiseConstantDecay', PiecewiseConstantDecay],
  ['PolynomialDecay', PolynomialDecay],
  ['InverseTimeDecay', InverseTimeDecay],
  ['CosineDecay', CosineDecay],
  ['CosineDecayRestarts', CosineDecayRestarts],
]);

function isBuiltIn(cls: ScheduleClass): boolean {
  return [...BUILT_INS.values()].includes(cls);
}

export function serialize(schedule: LearningRateSchedule): SerializedSchedule;
export function serialize(schedule: LearningRateSchedule, options: { format?: 'keras2.13' }): SerializedSchedule;
export function serialize(schedule: LearningRateSchedule, options: { format: 'legacy' }): LegacySerializedSchedule;
export function serialize(
  schedule: LearningRateSchedule,
  options?: { format?: SerializationFormat },
): SerializedSchedule | LegacySerializedSchedule;
export function serialize(
  schedule: LearningRateSchedule,
  options: { format?: SerializationFormat } = {},
): SerializedSchedule | LegacySerializedSchedule {
  if (!(schedule instanceof LearningRateSchedule)) {
    throw new TypeError(`serialize: expected a LearningRateSchedule. Received: ${String(schedule)}`);
  }
  const cls = schedule.constructor as ScheduleClass;
  const config = schedule.getConfig();
  const format = options.format ?? 'keras2.13';
  if (format === 'legacy') {
    // The legacy serializer writes the registered name ("package>Name") as class_name.
    return { class_name: getRegisteredName(cls) ?? schedule.className, config };
  }
  if (format !== 'keras2.13') throw new RangeError(`serialize: unknown format '${String(format)}'; use 'keras2.13' or 'legacy'.`);
  return serializeKeras213(schedule, cls, config);
}

/**
 * Built-ins: the public module, registered_name null. A registered custom class: its package as
 * module and its "package>Name". An unregistered one: module null and its class name (as Keras 2.15's
 * optimizer test expects).
 */
function serializeKeras213(schedule: LearningRateSchedule, cls: ScheduleClass, config: ScheduleConfig): SerializedSchedule {
  const className = schedule.className;
  if (isBuiltIn(cls)) return { module: KERAS_SCHEDULES_MODULE, class_name: className, config, registered_name: null };
  const registeredName = getRegisteredName(cls);
  if (registeredName !== null) {
    return { module: getRegisteredPackage(cls), class_name: className, config, registered_name: registeredName };
  }
  return { module: null, class_name: className, config, registered_name: className };
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Checks the outer dict shape shared by both generations. */
function readDict(dict: unknown): { className: string; config: ScheduleConfig; module: unknown; registeredName: unknown } {
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) {
    throw new TypeError(`deserialize: expected a schedule dict {class_name, config, ...}. Received: ${describe(dict)}`);
  }
  const d = dict as Record<string, unknown>;
  if (typeof d.class_name !== 'string') {
    throw new TypeError(`deserialize: the dict has no string \`class_name\`. Received: ${describe(dict)}`);
  }
  const config = d.config;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new TypeError(`deserialize: \`config\` of '${d.class_name}' must be a dict. Received: ${describe(config)}`);
  }
  return { className: d.class_name, config: config as ScheduleConfig, module: d.module, registeredName: d.registered_name };
}

function knownNames(customObjects: CustomObjects): string {
  return [...BUILT_INS.keys(), ...registeredScheduleNames(), ...Object.keys(customObjects)].join(', ');
}

/**
 * Custom objects and registered classes come first (Keras looks them up before its own module),
 * by registered name, then by class name; then the built-ins by class name.
 */
function resolveClass(className: string, registeredName: unknown, module: unknown, customObjects: CustomObjects): ScheduleClass {
  const names = typeof registeredName === 'string' ? [registeredName, className] : [className];
  for (const name of names) {
    const found = Object.hasOwn(customObjects, name) ? customObjects[name] : getRegisteredSchedule(name);
    if (found !== undefined) return found;
  }
  if (module === null) {
    // Keras's message for a v2.13+ dict of an unregistered custom class (module None).
    throw new TypeError(
      `Cannot deserialize object of type \`${className}\`. If \`${className}\` is a custom class, please ` +
        'register it using registerSchedule() (Keras: `@keras.saving.register_keras_serializable()`) ' +
        `or pass it in customObjects. Known schedules: ${knownNames(customObjects)}`,
    );
  }
  const builtIn = BUILT_INS.get(className);
  if (builtIn !== undefined) return builtIn;
  throw new TypeError(
    `Could not locate class '${className}'. Make sure custom schedules are registered with ` +
      `registerSchedule() or passed in customObjects. Known schedules: ${knownNames(customObjects)}`,
  );
}

function instantiate(cls: ScheduleClass, config: ScheduleConfig): LearningRateSchedule {
  // Keras's default from_config is cls(**config); our analogue passes the dict to the constructor.
  const schedule =
    typeof cls.fromConfig === 'function'
      ? cls.fromConfig(config)
      : new (cls as unknown as new (c: ScheduleConfig) => LearningRateSchedule)(config);
  if (!(schedule instanceof LearningRateSchedule)) {
    throw new TypeError(`deserialize: '${classNameOf(cls)}' did not build a LearningRateSchedule.`);
  }
  return schedule;
}

/** Rebuilds a schedule from either dict generation (as read from JSON). */
export function deserialize(dict: unknown, customObjects: CustomObjects = {}): LearningRateSchedule {
  const { className, config, module, registeredName } = readDict(dict);
  const cls = resolveClass(className, registeredName, module, customObjects);
  return instantiate(cls, config);
}

/** The names `deserialize` knows without custom objects (built-ins, then registered). */
export function knownScheduleNames(): string[] {
  return [...BUILT_INS.keys(), ...registeredScheduleNames()];
}
