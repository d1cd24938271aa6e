/**
 * Which first-step EMA rule a run follows. tf.keras 2.x starts the averages from a copy of the weights
 * and always uses `ema_momentum`; Keras 3 uses momentum 0 while `iterations` is 0. A run built from a
 * Keras 3 archive or Keras 3 model JSON continues what Keras 3 would do, so it takes Keras 3's rule;
 * everything else keeps the seed's (tf.keras 2.x) semantics.
 */
import type { RunConfig } from '../../shared/api';

export type EmaFirstStep = 'keras2' | 'keras3';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keras 3 serialises every object with its `module`; tf.keras 2.x's to_json() has `keras_version` instead. */
function isKeras3Json(json: unknown): boolean {
  if (!isObj(json)) return false;
  if (typeof json.keras_version === 'string') return !json.keras_version.startsWith('2.');
  return typeof json.module === 'string';
}

/** The rule for a new run's config (an explicit `emaFirstStep` wins); undefined for non-Keras models. */
export function emaFirstStepFor(config: RunConfig): EmaFirstStep | undefined {
  if (config.emaFirstStep !== undefined) return config.emaFirstStep;
  const m = config.model as unknown;
  if (!isObj(m) || m.type !== 'keras') return undefined;
  // An archive (`path`) is always written by Keras 3; JSON may come from either.
  return typeof m.path === 'string' || isKeras3Json(m.json) ? 'keras3' : 'keras2';
}
