/**
 * What a run config fixes without reading its data: the model, the mesh and the layout of every
 * variable on it, the optimizer, the compute path, the watchdog and the EMA rule. Checked once, in
 * one pass that collects every problem at its field; everything downstream (the memory check, the
 * coordinator, exports, evaluation) takes the parsed result instead of reading the config again.
 */
import { Mesh } from '../../core/dtensor/mesh';
import { Layout } from '../../core/dtensor/layout';
import { LayoutMap } from '../../core/dtensor/layout-map';
import { Adadelta } from '../../core/optimizers/adadelta';
import { checkOptimizerKeys } from './history-config';
import { buildModel, type Model } from '../../core/models/index';
import { ModelSpecError } from '../../core/models/spec';
import { isArgumentError, UserError } from '../../core/errors';
import type { ComputeChoices, ConfigIssue, RunConfig } from '../../shared/api';
import { RUN_DEFAULTS } from '../../shared/defaults';
import { describeIssues, invalidInput } from '../../shared/errors';
import type { Settings } from '../../shared/settings';
import { computeChoices } from './compute';
import { withoutUnusedTargets } from '../keras/unused-targets';

export type EmaFirstStep = 'keras2' | 'keras3';

/** A run config parsed: the config as stored with the run, and what it fixes. */
export interface RunShape {
  /** The config as the run stores it: defaults filled, the Keras model read in, the compute path recorded. */
  config: RunConfig;
  model: Model;
  mesh: Mesh;
  /** The run's layouts on its mesh (every variable's layout already checked against its rank). */
  layouts: LayoutMap;
  compute: ComputeChoices;
  emaFirstStep: EmaFirstStep;
  /** The stall watchdog: the config's watchdogSeconds, else DTRAIN_WATCHDOG_SECONDS, else 120 s. */
  watchdogMs: number;
  /**
   * The data as the run packs it: `config.data` (as the user wrote it) without the targets of an
   * output no loss or metric reads (engine/keras/unused-targets.ts). Workers, evaluate and the cluster
   * export read this.
   */
  packedData: RunConfig['data'];
}

type Add = (path: string, message: string) => void;

/**
 * Runs `fn` on a value the user gave; a problem with it (a UserError, or Keras's argument errors and
 * a bad regex, which a constructor raises for its argument) is an issue at `path`. Anything else is
 * the engine's failure and propagates.
 */
export function attempt<T>(path: string, add: Add, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof UserError || isArgumentError(e) || e instanceof SyntaxError)) throw e;
    // A model spec error names its own path inside the spec: put it at that field.
    add(e instanceof ModelSpecError && e.path ? `${path}.${e.path}` : path, e.message);
    return undefined;
  }
}

/** The run's model (its Keras JSON already read in), or undefined after an issue. */
export const modelOf = (config: RunConfig, add: Add): Model | undefined => attempt('model', add, () => buildModel(config.model));

/** Every part but the model and the data, checked; undefined when a part had an issue (each is in `add`). */
export function checkShape(
  config: RunConfig,
  model: Model | undefined,
  settings: Settings,
  emaFirstStep: EmaFirstStep,
  add: Add,
): RunShape | undefined {
  const mesh = attempt('mesh', add, () => Mesh.parse(String(config.mesh ?? '')));
  const layouts = mesh ? layoutMapOf(config, mesh, model, add) : undefined;
  if (config.optimizer === undefined)
    add('optimizer', 'an optimizer config is required (Keras Adadelta get_config() keys, e.g. {"learning_rate": 1.0})');
  else if (checkOptimizerKeys(config.optimizer, add)) attempt('optimizer', add, () => Adadelta.fromConfig(config.optimizer));
  checkInteger(config.steps, 'steps', 1, add);
  checkInteger(config.globalBatchSize, 'globalBatchSize', 1, add);
  checkInteger(config.seed, 'seed', 0, add);
  if (config.checkpointEvery !== undefined) checkInteger(config.checkpointEvery, 'checkpointEvery', 0, add);
  if (config.keepCheckpoints !== undefined) checkInteger(config.keepCheckpoints, 'keepCheckpoints', 1, add);
  const ema = config.emaFirstStep;
  if (ema !== undefined && ema !== 'keras2' && ema !== 'keras3')
    add('emaFirstStep', `emaFirstStep must be "keras2" or "keras3" (got ${JSON.stringify(ema)})`);
  const fs = config.fullySharded;
  if (fs !== undefined && fs !== 'auto' && typeof fs !== 'boolean')
    add('fullySharded', `fullySharded must be "auto", true or false (got ${JSON.stringify(fs)})`);
  const raf = config.reshardAfterForward;
  if (raf !== undefined && typeof raf !== 'boolean')
    add('reshardAfterForward', `reshardAfterForward must be true or false (got ${JSON.stringify(raf)})`);
  const w = config.watchdogSeconds;
  if (w !== undefined && !(typeof w === 'number' && Number.isFinite(w) && w > 0))
    add('watchdogSeconds', `watchdogSeconds must be a number of seconds > 0 (got ${JSON.stringify(w)})`);
  if (mesh && Number.isInteger(config.globalBatchSize) && config.globalBatchSize < mesh.size)
    add('globalBatchSize', `a global batch of ${config.globalBatchSize} cannot give each of the ${mesh.size} devices an example`);
  const compute = computeChoices(config, settings, add);
  const watchdogSeconds = config.watchdogSeconds ?? settings.watchdogSeconds ?? RUN_DEFAULTS.watchdogSeconds;
  if (!model || !mesh || !layouts) return undefined;
  return {
    config: { ...config, ...compute },
    model,
    mesh,
    layouts,
    compute,
    emaFirstStep,
    watchdogMs: watchdogSeconds * 1000,
    packedData: withoutUnusedTargets(config, model).data,
  };
}

/** The config's layouts on `mesh`; each variable's layout must have its rank (a worker would fail after the run exists). */
function layoutMapOf(config: RunConfig, mesh: Mesh, model: Model | undefined, add: Add): LayoutMap {
  const map = new LayoutMap(mesh);
  for (const [key, specs] of Object.entries(config.layouts ?? {})) {
    const layout = attempt(`layouts.${key}`, add, () => {
      new RegExp(key);
      return new Layout(specs, mesh);
    });
    if (layout) attempt(`layouts.${key}`, add, () => map.set(key, layout));
  }
  if (model) for (const p of model.params) attempt('layouts', add, () => map.layoutFor(p.path, p.shape.length));
  return map;
}

function checkInteger(v: unknown, path: string, min: number, add: Add): void {
  if (!Number.isSafeInteger(v) || (v as number) < min)
    add(path, `${path} must be an integer ≥ ${min} (got ${JSON.stringify(v)})`);
}

/**
 * A stored run's config as a RunShape, without reading its data (exports, evaluation). A stored config
 * passed validation when its run was created; if it no longer parses, that is said in one line.
 */
export function storedRunShape(config: RunConfig, settings: Settings): RunShape {
  const issues: ConfigIssue[] = [];
  const add: Add = (path, message) => issues.push({ path, message });
  const shape = checkShape(config, modelOf(config, add), settings, config.emaFirstStep ?? RUN_DEFAULTS.emaFirstStep, add);
  if (issues.length > 0 || !shape)
    throw invalidInput(`the run's stored config no longer parses: ${describeIssues(issues)}`, issues);
  return shape;
}
