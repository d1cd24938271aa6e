/**
 * Base class of learning-rate schedules (Keras `keras.optimizers.schedules.LearningRateSchedule`).
 * A schedule maps the 0-based optimizer step to a learning rate. The optimizer evaluates it with
 * `iterations` *before* incrementing, so step t of training uses `call(t)`.
 */
export type ScheduleConfig = Record<string, unknown>;

export abstract class LearningRateSchedule {
  /** The learning rate at the 0-based `step`, rounded to float32 like the Keras tensor. */
  abstract call(step: number): number;

  /** Keras's `get_config()`: snake_case keys, in Keras's order. */
  abstract getConfig(): ScheduleConfig;

  /**
   * The Keras class name. Built-ins and custom classes may set a `static className` so the name
   * survives minification; otherwise the JS constructor name is used.
   */
  get className(): string {
    return classNameOf(this.constructor as ScheduleClass);
  }
}

/** A schedule class as the registry and `deserialize` see it. */
export interface ScheduleClass {
  new (...args: never[]): LearningRateSchedule;
  readonly name: string;
  readonly className?: string;
  /** Builds from a Keras config dict; without it, `new cls(config)` is used (Keras `cls(**config)`). */
  fromConfig?(config: ScheduleConfig): LearningRateSchedule;
}

/**
 * The Keras class name of a schedule class: its own `static className`, else its JS name. Only an
 * own property counts, so a subclass of a built-in is not mistaken for the built-in.
 */
export function classNameOf(cls: ScheduleClass): string {
  return Object.hasOwn(cls, 'className') && typeof cls.className === 'string' ? cls.className : cls.name;
}

/**
 * Checks a snake_case config dict the way Python's `cls(**config)` would: an unknown key or a
 * missing required key is an error. Returns the dict for reading.
 */
export function readConfig(owner: string, config: unknown, keys: readonly string[], required: readonly string[]): ScheduleConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new TypeError(`${owner}.fromConfig: config must be a dict (plain object). Received: ${String(config)}`);
  }
  const cfg = config as ScheduleConfig;
  for (const key of Object.keys(cfg)) {
    if (!keys.includes(key)) {
      throw new TypeError(`${owner}.fromConfig: got an unexpected keyword argument '${key}'. Expected keys: ${keys.join(', ')}`);
    }
  }
  const missing = required.filter((k) => cfg[k] === undefined);
  if (missing.length > 0) {
    throw new TypeError(`${owner}.fromConfig: missing required argument(s): ${missing.map((k) => `'${k}'`).join(', ')}`);
  }
  return cfg;
}
