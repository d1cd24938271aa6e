/**
 * `"model": {"type": "keras", "jsonPath": FILE}`: reads the `model.to_json()` text the run config points
 * to and puts it inline (`json`), so the run's stored config is self-contained: resuming it, or a worker
 * building the model, never depends on the file still being there.
 */
import { invalidInput } from '../../shared/errors';
import { readRegularFile } from '../../datasets/files';
import { resolve } from 'node:path';
import { parseModelJson } from '../../core/models/index';
import type { RunConfig } from '../../shared/api';

const isKerasJsonPath = (m: unknown): m is { type: 'keras'; jsonPath: unknown; json?: unknown } =>
  typeof m === 'object' &&
  m !== null &&
  (m as { type?: unknown }).type === 'keras' &&
  (m as { jsonPath?: unknown }).jsonPath !== undefined &&
  (m as { json?: unknown }).json === undefined;

const MAX_MODEL_JSON_BYTES = 64 * 2 ** 20;

/** The config with its Keras model JSON read in; throws one line when the file is missing or not a model. */
export function inlineKerasJson(config: RunConfig): RunConfig {
  const model = config.model as unknown;
  if (!isKerasJsonPath(model)) return config;
  if (typeof model.jsonPath !== 'string' || model.jsonPath === '')
    throw invalidInput(`jsonPath must be a file name, got ${JSON.stringify(model.jsonPath)}`);
  const file = resolve(model.jsonPath);
  let text: string;
  try {
    // A regular file of at most 64 MiB: a model config is kilobytes; a FIFO or /dev/zero never ends.
    text = readRegularFile(file, MAX_MODEL_JSON_BYTES, 'the model config').toString('utf8');
  } catch (e) {
    throw invalidInput(`cannot read jsonPath ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const json = parseModelJson(text);
  return { ...config, model: { ...model, jsonPath: file, json } };
}
