/**
 * Sets a dotted config path (`optimizer.learning_rate`) in a copy of a config. Only the config's own
 * keys are followed, and a key of the object machinery (`__proto__`) is refused: a path never reaches
 * a prototype.
 */
import { OBJECT_MACHINERY, SweepSpaceError } from './space';

export function withSetting<T extends object>(config: T, path: string, value: unknown): T {
  const out = structuredClone(config) as Record<string, unknown>;
  const keys = path.split('.');
  const special = keys.find((k) => OBJECT_MACHINERY.has(k));
  if (special !== undefined) throw new SweepSpaceError(`cannot set ${path}: '${special}' is not a config key`);
  let node = out;
  for (const key of keys.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (next !== undefined && (typeof next !== 'object' || next === null || Array.isArray(next))) {
      throw new SweepSpaceError(`cannot set ${path}: '${key}' is not an object in the base config`);
    }
    node = (next ?? (node[key] = {})) as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
  return out as T;
}

export function withSettings<T extends object>(config: T, settings: Record<string, unknown>): T {
  return Object.entries(settings).reduce((c, [path, value]) => withSetting(c, path, value), config);
}
