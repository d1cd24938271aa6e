/** Config helpers behind the UI: schedule preview, Keras config import, and run config diffs. */
import { Adadelta, type ConfigFlavour } from '../../core/optimizers/adadelta';
import { deserialize, scheduleSeries } from '../../core/optimizers/schedules/index';
import type { ConfigDiff, LearningRateSetting, RunConfig } from '../../shared/api';
import { isArgumentError } from '../../core/errors';
import { invalidInput } from '../../shared/errors';

const MAX_PREVIEW_STEPS = 100_000;

export function previewLearningRate(setting: LearningRateSetting, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_PREVIEW_STEPS) {
    throw invalidInput(`preview steps must be an integer from 1 to ${MAX_PREVIEW_STEPS} (got ${steps})`);
  }
  if (typeof setting === 'number') {
    if (!Number.isFinite(setting)) throw invalidInput(`the learning rate must be a finite number (got ${setting})`);
    return new Array<number>(steps).fill(Math.fround(setting));
  }
  try {
    return Array.from(scheduleSeries(deserialize(setting), steps));
  } catch (e) {
    // Keras's own texts (ValueError, TypeError …) describe what is wrong with the schedule dict.
    if (isArgumentError(e)) throw invalidInput(`${e.name}: ${e.message}`);
    throw e;
  }
}

/**
 * Parses an optimizer config as Python Keras writes it (json.dumps(opt.get_config()); tf.keras 2.11/2.12,
 * 2.13–2.15 or Keras 3), checks it the way Adadelta.from_config does, and returns our normalized
 * get_config() in the given flavour (default Keras 3's form). Throws an `invalid-input` ApiError (with
 * Keras's text) for anything it cannot use.
 */
export function importOptimizerConfig(json: string, flavour: ConfigFlavour = 'keras3'): { config: Record<string, unknown> } {
  if (typeof json !== 'string') throw invalidInput('the optimizer config must be given as JSON text');
  let parsed: unknown;
  try {
    // Python's json.dumps writes NaN/Infinity for non-finite floats; JSON.parse does not accept them.
    parsed = JSON.parse(json.replace(/\bNaN\b|-?\bInfinity\b/g, 'null'));
  } catch (e) {
    throw invalidInput(`not valid JSON: ${(e as Error).message}`);
  }
  const body = isKerasObject(parsed) ? checkClass(parsed) : parsed;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidInput('the optimizer config must be a JSON object');
  try {
    return { config: Adadelta.fromConfig(body as Record<string, unknown>).getConfig({ flavour }) };
  } catch (e) {
    if (isArgumentError(e)) throw invalidInput(`${e.name}: ${e.message}`);
    throw e;
  }
}

/** tf.keras.optimizers.serialize(opt) wraps the config: {class_name, config, module?}. */
function isKerasObject(v: unknown): v is { class_name: unknown; config: unknown } {
  return typeof v === 'object' && v !== null && 'class_name' in v && 'config' in v;
}

function checkClass(v: { class_name: unknown; config: unknown }): unknown {
  const name = String(v.class_name);
  if (!/(^|>|\.)Adadelta$/.test(name)) throw invalidInput(`this is a ${name} optimizer config; dtrain trains with Adadelta`);
  return v.config;
}

/**
 * Dotted paths whose values differ between the configs, with each config's value. `missing` marks
 * the configs without the key: JSON turns an absent value into null, which would read as a real null.
 */
export function diffConfigs(configs: RunConfig[]): ConfigDiff[] {
  const flat = configs.map((c) => flatten(c as unknown as Record<string, unknown>));
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  return paths
    .map((path) => ({ path, values: flat.map((f) => f.get(path) ?? null), missing: flat.map((f) => !f.has(path)) }))
    .filter(({ values, missing }) => new Set(values.map((v, i) => (missing[i] ? '\u0000missing' : JSON.stringify(v)))).size > 1);
}

function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}
