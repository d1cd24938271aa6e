import type { RunConfig } from '../shared/api';

/** Steps × minStepMs: the demo lasts about a minute however fast the machine is, long enough to watch live. */
export const DEMO_STEPS = 3000;
export const DEMO_STEP_MS = 20;

/**
 * The run `dtrain serve --demo` (and `npm start` without Electron) starts: small, visible, real, with
 * held-out curves and the optimizer's state to look at.
 */
export const DEMO_RUN: RunConfig = {
  name: 'demo: Iris MLP on 2 workers',
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 32, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'builtin', name: 'iris', validation: { fraction: 0.2 } },
  mesh: 'batch=2',
  layouts: { 'dense.*kernel': ['batch', 'unsharded'] },
  optimizer: {
    learning_rate: {
      module: 'keras.optimizers.schedules',
      class_name: 'ExponentialDecay',
      config: { initial_learning_rate: 1.0, decay_steps: 500, decay_rate: 0.5, staircase: false, name: null },
      registered_name: null,
    },
    rho: 0.95,
    epsilon: 1e-6,
    clipnorm: 1.0,
  },
  steps: DEMO_STEPS,
  globalBatchSize: 32,
  seed: 1,
  checkpointEvery: 250,
  keepCheckpoints: 3,
  evalEvery: 50,
  optimizerStatsEvery: 25,
  minStepMs: DEMO_STEP_MS,
};
