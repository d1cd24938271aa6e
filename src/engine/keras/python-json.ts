/**
 * JSON as Python's json.dumps writes Keras configs: a float stays a float (`1.0`, not `1`). Keras 3
 * refuses `learning_rate=1` (an int) in `Optimizer.from_config`, and JavaScript has no float type, so
 * the keys that hold floats in Keras's configs (and the elements of such lists) get a decimal point.
 */
const FLOAT_KEYS = new Set([
  'learning_rate',
  'initial_learning_rate',
  'end_learning_rate',
  'rho',
  'epsilon',
  'ema_momentum',
  'weight_decay',
  'clipnorm',
  'clipvalue',
  'global_clipnorm',
  'loss_scale_factor',
  'decay_rate',
  'alpha',
  'power',
  't_mul',
  'm_mul',
  'warmup_target',
  'values',
  'rate',
]);

const MARK = '\u0000float:';

function markFloats(value: unknown, isFloat: boolean): unknown {
  if (typeof value === 'number') return isFloat && Number.isInteger(value) ? `${MARK}${value}` : value;
  if (Array.isArray(value)) return value.map((v) => markFloats(v, isFloat));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markFloats(v, FLOAT_KEYS.has(k))]));
  return value;
}

export function pythonJson(value: unknown, indent?: number): string {
  return JSON.stringify(markFloats(value, false), null, indent).replace(/"\\u0000float:(-?\d+)"/g, '$1.0');
}
