/**
 * The defaults a run config and Adadelta's config take when a key is left out, in one place: the
 * engine fills them in (src/engine/config/parse-run.ts), core's optimizer takes them, and the New-run
 * form starts from them. Each is also in docs/settings.md's table or docs/run-config.md.
 */

/** Run config keys the engine fills in when a new run leaves them out. */
export const RUN_DEFAULTS = {
  layouts: {} as Record<string, string[]>,
  /** 0: checkpoints only on pause, stop and at the end. */
  checkpointEvery: 0,
  keepCheckpoints: 3,
  /** A worker without a finished step for this long is declared stalled. */
  watchdogSeconds: 120,
  /** tf.keras 2.x's EMA first step, for every run not built from Keras 3 (see emaFirstStepFor). */
  emaFirstStep: 'keras2',
} as const;

/** The mesh the CLI and the New-run form start from: one device. */
export const DEFAULT_MESH = 'batch=1';

/** Keras's Adadelta defaults (keras.optimizers.Adadelta): what an empty optimizer config means. */
export const ADADELTA_DEFAULTS = {
  learning_rate: 0.001,
  rho: 0.95,
  epsilon: 1e-7,
  ema_momentum: 0.99,
} as const;
