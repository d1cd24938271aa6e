/** The top-level keys of a run config, derived from its type: a key added to RunConfig must be added here. */
import type { RunConfig } from '../../shared/api';

const KEYS = {
  name: true,
  model: true,
  data: true,
  mesh: true,
  layouts: true,
  optimizer: true,
  steps: true,
  globalBatchSize: true,
  seed: true,
  checkpointEvery: true,
  keepCheckpoints: true,
  evalEvery: true,
  earlyStopping: true,
  parent: true,
  variableStorage: true,
  backend: true,
  nativeBlas: true,
  commThread: true,
  fullySharded: true,
  reshardAfterForward: true,
  watchdogSeconds: true,
  emaFirstStep: true,
  optimizerStatsEvery: true,
  minStepMs: true,
} satisfies Record<keyof RunConfig, true>;

export const RUN_KEYS: readonly string[] = Object.keys(KEYS);
