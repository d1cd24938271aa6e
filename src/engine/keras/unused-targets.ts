/**
 * An output without a loss (`loss=["mse", None]`) contributes nothing, and Keras ignores any targets
 * given for it. The run's packed target row holds only the targets a loss reads (core/data/parts.ts,
 * output-losses.ts), so when the run is created such targets are left out of its `data.y` and a
 * held-out source's `y` (docs/keras-models.md, "Several inputs and outputs").
 */
import type { Model } from '../../core/models/index';
import type { RunConfig } from '../../shared/api';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A data source's `y` without `unlossed` names (unchanged when it names none). */
function withoutNames(source: Record<string, unknown>, unlossed: string[]): Record<string, unknown> {
  if (!isObj(source.y)) return source;
  const y = Object.fromEntries(Object.entries(source.y).filter(([name]) => !unlossed.includes(name)));
  return Object.keys(y).length === Object.keys(source.y).length ? source : { ...source, y };
}

/** The config with the `y` entries of `data` (and of a held-out `data.validation` source) for the model's loss-less outputs left out. */
export function withoutUnusedTargets(config: RunConfig, model: Model): RunConfig {
  const unlossed = model.keras?.outputLosses?.unlossed ?? [];
  const data = config.data as unknown;
  if (unlossed.length === 0 || !isObj(data)) return config;
  const stripped = withoutNames(data, unlossed);
  const held = stripped.validation;
  const out = isObj(held) ? { ...stripped, validation: withoutNames(held, unlossed) } : stripped;
  return { ...config, data: out as unknown as RunConfig['data'] };
}
