/**
 * `"model": {"type": "keras", "jsonPath": FILE}`: reads the `model.to_json()` text the run config points
 * to and puts it inline (`json`), so the run's stored config is self-contained: resuming it, or a worker
 * building the model, never depends on the file still being there.
 */
import { invalidInput } from '../../shared/errors';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseModelJson } from '../../core/models/index';
import type { RunConfig } from '../../shared/api';

const isKerasJsonPath = (m: unknown): m is { type: 'keras'; jsonPath: unknown; json?: unknown } =>
  typeof m === 'object' &&
  m !== null &&
  (m as { type?: unknown }).type === 'keras' &&
  (m as { jsonPath?: unknown }).jsonPath !== undefined &&
  (m as { json?: unknown }).json === undefined;

/** The config with its Keras model JSON read in; throws one line when the file is missing or not a model. */
export function inlineKerasJson(config: RunConfig): RunConfig {
  const model = config.model as unknown;
  if (!isKerasJsonPath(model)) return config;
  if (typeof model.jsonPath !== 'string' || model.jsonPath === '')
    throw invalidInput(`jsonPath must be a file name, got ${JSON.stringify(model.jsonPath)}`);
  const file = resolve(model.jsonPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw invalidInput(
      `cannot read jsonPath ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  const json = parseModelJson(text);
  return { ...config, model: { ...model, jsonPath: file, json } };
}
