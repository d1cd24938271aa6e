/**
 * `Input(shape=(None,))`: Keras text models leave the sequence length open. The run's data fixes it:
 * when the model's input shape has None dimensions and the run's model gives no `inputShape`, the
 * data's feature shape (inspected, not loaded) becomes `model.inputShape`, stored with the run so the
 * workers and every resume build the same model. With several inputs each takes its own array's
 * shape (`"inputShape": {"<input>": shape, …}`).
 */
import { kerasInputShapes } from '../../core/models/index';
import { inspectRunData } from '../../datasets/inspect-run-data';
import type { RunConfig } from '../../shared/api';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The config with `model.inputShape` set from the data when `json` (the model config) leaves dimensions open. */
export async function withDataInputShape(config: RunConfig, json: unknown): Promise<RunConfig> {
  const m = config.model as unknown;
  if (!isObj(m) || m.inputShape !== undefined || !isObj(json)) return config;
  let inputs: { name: string; shape: (number | null)[] | null }[];
  try {
    inputs = kerasInputShapes(json);
  } catch {
    return config; // the builder reports what is wrong with the model
  }
  if (inputs.length > 1) return withNamedInputShapes(config, m, inputs);
  const shape = inputs[0]!.shape;
  if (!shape || shape.every((n) => n !== null)) return config;
  let data: Awaited<ReturnType<typeof inspectRunData>>;
  try {
    data = await inspectRunData(config.data, Number.isSafeInteger(config.seed) ? config.seed : 0);
  } catch {
    return config; // the data's own issue is reported by the config check
  }
  const features = data.train.featureShape;
  // A shape that does not fit stays open: the builder then names both shapes.
  return fits(shape, features)
    ? { ...config, model: { ...m, inputShape: [...features] } as unknown as RunConfig['model'] }
    : config;
}

const fits = (shape: (number | null)[], data: readonly number[]) =>
  data.length === shape.length && shape.every((n, i) => n === null || n === data[i]);

/**
 * Several inputs: each input with None dimensions takes its array's row shape (data.x names an array
 * per input), stored as `"inputShape": {"<input>": shape, …}`; a shape that does not fit stays open.
 */
async function withNamedInputShapes(
  config: RunConfig,
  m: Record<string, unknown>,
  inputs: { name: string; shape: (number | null)[] | null }[],
): Promise<RunConfig> {
  const open = inputs.filter((i) => i.shape && i.shape.some((n) => n === null));
  if (open.length === 0) return config;
  let parts: { name: string; shape: number[] }[] | undefined;
  try {
    parts = (await inspectRunData(config.data, Number.isSafeInteger(config.seed) ? config.seed : 0)).train.xParts;
  } catch {
    return config; // the data's own issue is reported by the config check
  }
  const shapes: Record<string, number[]> = {};
  for (const i of inputs) {
    const part = parts?.find((p) => p.name === i.name);
    if (i.shape && part && fits(i.shape, part.shape)) shapes[i.name] = [...part.shape];
    else if (i.shape && i.shape.every((n) => n !== null)) shapes[i.name] = i.shape as number[];
    else return config; // the builder then names the input whose shape is open
  }
  return { ...config, model: { ...m, inputShape: shapes } as unknown as RunConfig['model'] };
}
