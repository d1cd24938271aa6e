/** Checks a sweep's base config and space, draws its trials, and stores it (trials not yet run). */
import type { RunConfig } from '../../shared/api';
import { invalidInput } from '../../shared/errors';
import { gridTrials, isGridable, parseSpace, randomTrials, SweepSpaceError } from '../../core/sweeps/space';
import { withSettings } from '../../core/sweeps/config-path';
import { checkHalvingRule } from '../../core/sweeps/halving';
import type { Settings } from '../../shared/settings';
import type { RunStore } from '../store/index';
import { parseRun } from '../config/parse-run';

export interface SweepSpec {
  baseConfig: RunConfig;
  space: unknown;
  method?: 'grid' | 'random';
  /** Random: the number of draws (default 10). Grid: the first N combinations (default all). */
  trials?: number;
  devicesPerTrial?: number;
  seed?: number;
  monitor?: string;
  mode?: 'min' | 'max';
  eta?: number;
  minEvals?: number;
  name?: string;
}

/** Every trial's config is parsed as its run will be (parseRun), so a bad one is refused before any trial runs. */
export async function createSweep(store: RunStore, spec: SweepSpec, deviceCount: number, settings: Settings): Promise<string> {
  const space = inSpace(() => parseSpace(spec.space));
  const method = spec.method ?? (isGridable(space) ? 'grid' : 'random');
  const seed = spec.seed ?? 0;
  const devicesPerTrial = spec.devicesPerTrial ?? 1;
  if (!Number.isSafeInteger(devicesPerTrial) || devicesPerTrial < 1)
    throw invalidInput(`--devices-per-trial must be an integer ≥ 1 (got ${devicesPerTrial})`);
  if (devicesPerTrial > deviceCount) throw invalidInput(`a trial needs ${devicesPerTrial} devices but there are ${deviceCount}`);
  const rule = { eta: spec.eta ?? 3, minEvals: spec.minEvals ?? 1 };
  checkHalvingRule(rule); // a SweepSpaceError: the user's input
  const trials = inSpace(() =>
    method === 'grid' ? gridTrials(space).slice(0, spec.trials ?? Infinity) : randomTrials(space, spec.trials ?? 10, seed),
  );
  const monitor = spec.monitor ?? 'val_loss';
  const mode = spec.mode ?? (/acc/.test(monitor) ? 'max' : 'min');
  for (const [i, trialSettings] of trials.entries()) {
    let config: RunConfig;
    try {
      config = { ...withSettings(spec.baseConfig, trialSettings), mesh: `batch=${devicesPerTrial}` };
    } catch (e) {
      if (e instanceof SweepSpaceError) throw new SweepSpaceError(`trial #${i}: ${e.message}`);
      throw e;
    }
    const parsed = await parseRun(config, { settings });
    if (Array.isArray(parsed))
      throw invalidInput(
        `trial #${i} (${JSON.stringify(trialSettings)}): ${parsed.map((x) => `${x.path || 'config'}: ${x.message}`).join('; ')}`,
      );
    if (i === 0 && monitor.startsWith('val_') && !config.data.validation)
      throw invalidInput(`the objective ${monitor} needs data.validation in the base config`);
  }
  return store.createSweep({
    name: spec.name ?? `sweep ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`,
    method,
    monitor,
    mode,
    space,
    baseConfig: spec.baseConfig,
    options: { trials: trials.length, devicesPerTrial, seed, ...rule },
    trials,
  });
}

/** Runs `fn`; a problem of the space (a SweepSpaceError) is reported as the space's, anything else propagates. */
function inSpace<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SweepSpaceError) throw new SweepSpaceError(`search space: ${e.message}`);
    throw e;
  }
}
