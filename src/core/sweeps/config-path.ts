/** Sets a dotted config path (`optimizer.learning_rate`) in a copy of a config. */
import { SweepSpaceError } from './space';

export function withSetting<T extends object>(config: T, path: string, value: unknown): T {
  const out = structuredClone(config) as Record<string, unknown>;
  const keys = path.split('.');
  let node = out;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next !== undefined && (typeof next !== 'object' || next === null || Array.isArray(next))) {
      throw new SweepSpaceError(`cannot set ${path}: '${key}' is not an object in the base config`);
    }
    node = (node[key] ??= {}) as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
  return out as T;
}

export function withSettings<T extends object>(config: T, settings: Record<string, unknown>): T {
  return Object.entries(settings).reduce((c, [path, value]) => withSetting(c, path, value), config);
}
