/**
 * An output without a loss and without metrics (`loss=["mse", None]`) contributes nothing, and Keras
 * reads no targets given for it. The run's packed target row holds only the targets a loss or a metric
 * reads (core/data/parts.ts, output-losses.ts), so when the run is created such targets are left out of
 * its `data.y` and a held-out source's `y` (docs/keras-models.md, "Several inputs and outputs").
 */
import type { Model } from '../../core/models/index';
import type { RunConfig } from '../../shared/api';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A data source's `y` without `unread` names (unchanged when it names none). */
function withoutNames(source: Record<string, unknown>, unread: string[]): Record<string, unknown> {
  if (!isObj(source.y)) return source;
  const y = Object.fromEntries(Object.entries(source.y).filter(([name]) => !unread.includes(name)));
  return Object.keys(y).length === Object.keys(source.y).length ? source : { ...source, y };
}

/** The config with the `y` entries of `data` (and of a held-out `data.validation` source) for the model's outputs nothing reads left out. */
export function withoutUnusedTargets(config: RunConfig, model: Model): RunConfig {
  const unread = model.keras?.outputLosses?.unread ?? [];
  const data = config.data as unknown;
  if (unread.length === 0 || !isObj(data)) return config;
  const stripped = withoutNames(data, unread);
  const held = stripped.validation;
  const out = isObj(held) ? { ...stripped, validation: withoutNames(held, unread) } : stripped;
  return { ...config, data: out as unknown as RunConfig['data'] };
}

/** A data source given on its own (`evaluate --data`) without the targets of the model's outputs nothing reads. */
export function sourceWithoutUnusedTargets<T>(source: T, model: Model): T {
  const unread = model.keras?.outputLosses?.unread ?? [];
  return unread.length === 0 || !isObj(source) ? source : (withoutNames(source, unread) as T);
}
