/**
 * An output without a loss (`loss=["mse", None]`) contributes nothing, and Keras ignores any targets
 * given for it. The run's packed target row holds only the targets a loss reads (core/data/parts.ts,
 * output-losses.ts), so when the run is created such targets are left out of its `data.y`
 * (docs/keras-models.md, "Several inputs and outputs").
 */
import type { Model } from '../../core/models/index';
import type { RunConfig } from '../../shared/api';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The config with `data.y`'s entries for the model's loss-less outputs left out (unchanged when none). */
export function withoutUnusedTargets(config: RunConfig, model: Model): RunConfig {
  const unlossed = model.keras?.outputLosses?.unlossed ?? [];
  const data = config.data as unknown;
  if (unlossed.length === 0 || !isObj(data) || !isObj(data.y)) return config;
  const y = Object.fromEntries(Object.entries(data.y).filter(([name]) => !unlossed.includes(name)));
  if (Object.keys(y).length === Object.keys(data.y).length) return config;
  return { ...config, data: { ...data, y } as unknown as RunConfig['data'] };
}
