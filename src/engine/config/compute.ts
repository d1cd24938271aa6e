/**
 * A run's compute path (ComputeChoices, src/shared/api.ts): each choice from the run config's key,
 * else the environment's DTRAIN_* setting, else auto. The resolved choices are stored with the run;
 * on resume a variable set in the resuming process overrides what the run recorded (docs/settings.md).
 */
import type { BackendChoice, ComputeChoices, DeviceInfo, RunConfig } from '../../shared/api';
import { AUTO_COMPUTE, COMPUTE_VARIABLES, type Settings } from '../../shared/settings';

type Add = (path: string, message: string) => void;

const ACCEPTED: { [K in keyof ComputeChoices]: readonly ComputeChoices[K][] } = {
  backend: ['auto', 'tensorflow', 'wasm', 'cpu'],
  nativeBlas: [true, false],
  commThread: ['auto', 'on', 'off'],
  variableStorage: ['auto', 'host', 'tensor'],
};

const KEYS = Object.keys(ACCEPTED) as (keyof ComputeChoices)[];

/** The run's choices; a config key that is not one of its values is an issue at that key. */
export function computeChoices(config: RunConfig, settings: Settings, add: Add): ComputeChoices {
  const out = { ...AUTO_COMPUTE };
  for (const key of KEYS) {
    const given = config[key];
    const accepted = ACCEPTED[key] as readonly unknown[];
    if (given !== undefined && !accepted.includes(given)) {
      add(key, `${key} must be ${accepted.map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(given)})`);
      continue;
    }
    (out as Record<string, unknown>)[key] = given ?? settings.compute[key] ?? AUTO_COMPUTE[key];
  }
  return out;
}

/**
 * The compute path a stored run recorded, or null for a run from before runs recorded it (a resume
 * then takes it from its environment, and records it).
 */
export function recordedCompute(config: RunConfig): ComputeChoices | null {
  if (!KEYS.every((k) => config[k] !== undefined)) return null;
  return Object.fromEntries(KEYS.map((k) => [k, config[k]])) as unknown as ComputeChoices;
}

/**
 * A stored run's config for a resume: a choice the resuming process's environment sets explicitly
 * replaces the recorded one, with a note saying so. Choices the run never recorded (runs from before
 * they were stored) come from the environment too, as they did.
 */
export function resumeCompute(stored: RunConfig, settings: Settings): { config: RunConfig; notes: string[] } {
  const notes: string[] = [];
  const config = { ...stored };
  for (const key of KEYS) {
    const set = settings.compute[key];
    if (set === undefined || stored[key] === set) continue;
    if (stored[key] !== undefined)
      notes.push(`${COMPUTE_VARIABLES[key]} overrides the run's recorded ${key} (${String(stored[key])} → ${String(set)})`);
    (config as Record<string, unknown>)[key] = set;
  }
  return { config, notes };
}

export type BackendName = Exclude<BackendChoice, 'auto'>;

/**
 * The tfjs backends a worker on `device` tries, in order: tensorflow → wasm → cpu on a GPU, wasm → cpu
 * on a CPU worker. The run's `backend` (DTRAIN_BACKEND for a new run) forces one, so a run (or a test)
 * can take the path a machine without the others would take; the worker then fails rather than fall back.
 */
export function backendOrder(device: DeviceInfo, choice: BackendChoice): BackendName[] {
  if (choice !== 'auto') return [choice];
  return device.kind === 'GPU' ? ['tensorflow', 'wasm', 'cpu'] : ['wasm', 'cpu'];
}
