/**
 * Keras initializer configs → the seeded ParamInit kinds of init.ts. The values are drawn from this
 * project's counter-based streams (seeded by the run), so they follow Keras's distributions, not its
 * random bits.
 */
import type { ParamInit } from '../parts';
import { fail, isObj } from './config';

/** Keras's fans: dense [in, out]; conv [kh, kw, cin, cout] → receptive field × channels. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const rf = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * rf, fanOut: shape[shape.length - 1]! * rf };
}

const SUPPORTED =
  'Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, VarianceScaling, Orthogonal';

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** Keras's VarianceScaling: scale / fan → uniform ±√(3·var) or a normal (truncated: stddev / .8796). */
function varianceScaling(shape: readonly number[], scale: number, mode: string, distribution: string, where: string): ParamInit {
  const { fanIn, fanOut } = fans(shape);
  const fan =
    mode === 'fan_in'
      ? fanIn
      : mode === 'fan_out'
        ? fanOut
        : mode === 'fan_avg'
          ? (fanIn + fanOut) / 2
          : fail(`${where}: VarianceScaling mode "${mode}" is not supported`);
  const variance = scale / Math.max(1, fan);
  if (distribution === 'uniform') {
    const limit = Math.sqrt(3 * variance);
    return { kind: 'uniform', min: -limit, max: limit };
  }
  if (distribution === 'truncated_normal')
    return { kind: 'normal', mean: 0, stddev: Math.sqrt(variance) / 0.87962566103423978, truncated: true };
  if (distribution === 'untruncated_normal' || distribution === 'normal')
    return { kind: 'normal', mean: 0, stddev: Math.sqrt(variance), truncated: false };
  return fail(`${where}: VarianceScaling distribution "${distribution}" is not supported`);
}

const num = (c: Record<string, unknown>, k: string, d: number) => (typeof c[k] === 'number' ? (c[k] as number) : d);

/** The ParamInit of a Keras initializer config (a name string or a {class_name, config} object). */
export function initializerOf(raw: unknown, shape: readonly number[], where: string): ParamInit {
  const className =
    typeof raw === 'string'
      ? raw
      : isObj(raw) && typeof raw.class_name === 'string'
        ? raw.class_name
        : fail(`${where}: initializer ${JSON.stringify(raw)} is not a Keras initializer`);
  const c = isObj(raw) && isObj(raw.config) ? raw.config : {};
  switch (snake(className)) {
    case 'zeros':
      return { kind: 'zeros' };
    case 'ones':
      return { kind: 'constant', value: 1 };
    case 'constant':
      return { kind: 'constant', value: num(c, 'value', 0) };
    case 'random_uniform':
      return { kind: 'uniform', min: num(c, 'minval', -0.05), max: num(c, 'maxval', 0.05) };
    case 'random_normal':
      return { kind: 'normal', mean: num(c, 'mean', 0), stddev: num(c, 'stddev', 0.05), truncated: false };
    case 'truncated_normal':
      return { kind: 'normal', mean: num(c, 'mean', 0), stddev: num(c, 'stddev', 0.05), truncated: true };
    case 'glorot_uniform': {
      const { fanIn, fanOut } = fans(shape);
      return { kind: 'glorot_uniform', fanIn, fanOut };
    }
    case 'glorot_normal':
      return varianceScaling(shape, 1, 'fan_avg', 'truncated_normal', where);
    case 'he_uniform':
      return varianceScaling(shape, 2, 'fan_in', 'uniform', where);
    case 'he_normal':
      return varianceScaling(shape, 2, 'fan_in', 'truncated_normal', where);
    case 'lecun_uniform':
      return varianceScaling(shape, 1, 'fan_in', 'uniform', where);
    case 'lecun_normal':
      return varianceScaling(shape, 1, 'fan_in', 'truncated_normal', where);
    case 'variance_scaling':
      return varianceScaling(
        shape,
        num(c, 'scale', 1),
        String(c.mode ?? 'fan_in'),
        String(c.distribution ?? 'truncated_normal'),
        where,
      );
    case 'orthogonal':
      return { kind: 'orthogonal', gain: num(c, 'gain', 1) };
    default:
      return fail(`${where}: initializer "${className}" is not supported (supported: ${SUPPORTED})`);
  }
}
