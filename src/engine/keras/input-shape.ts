/**
 * `Input(shape=(None,))`: Keras text models leave the sequence length open. The run's data fixes it:
 * when the model's input shape has None dimensions and the run's model gives no `inputShape`, the
 * data's feature shape (inspected, not loaded) becomes `model.inputShape`, stored with the run so the
 * workers and every resume build the same model.
 */
import { kerasInputShape } from '../../core/models/index';
import { inspectRunData } from '../../datasets/inspect-run-data';
import type { RunConfig } from '../../shared/api';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The config with `model.inputShape` set from the data when `json` (the model config) leaves dimensions open. */
export async function withDataInputShape(config: RunConfig, json: unknown): Promise<RunConfig> {
  const m = config.model as unknown;
  if (!isObj(m) || m.inputShape !== undefined || !isObj(json)) return config;
  let shape: (number | null)[] | null;
  try {
    shape = kerasInputShape(json);
  } catch {
    return config; // the builder reports what is wrong with the model
  }
  if (!shape || shape.every((n) => n !== null)) return config;
  let data: Awaited<ReturnType<typeof inspectRunData>>;
  try {
    data = await inspectRunData(config.data, Number.isSafeInteger(config.seed) ? config.seed : 0);
  } catch {
    return config; // the data's own issue is reported by the config check
  }
  const features = data.train.featureShape;
  // A shape that does not fit stays open: the builder then names both shapes.
  const fits = features.length === shape.length && shape.every((n, i) => n === null || n === features[i]);
  return fits ? { ...config, model: { ...m, inputShape: [...features] } as unknown as RunConfig['model'] } : config;
}
