/**
 * `dtrain evaluate`: loss and metrics of a run's checkpoint on any data (default the run's held-out
 * set, else its training set), from the best checkpoint when there is one, else the newest.
 */
import { assembleGlobal } from '../../core/checkpoint/index';
import { evaluateSlice } from '../../core/evaluation/evaluate-rows';
import type { RowSource } from '../../core/data/index';
import { openHeldOut, openRunRows } from '../../datasets/run-rows';
import type { DataSource, ValidationSource } from '../../shared/api';
import { invalidInput } from '../../shared/errors';
import type { Settings } from '../../shared/settings';
import type { RunStore } from '../store/index';
import { storedRunShape } from '../config/run-shape';
import { sourceWithoutUnusedTargets } from '../keras/unused-targets';

export interface EvaluationResult {
  runId: string;
  /** The checkpoint's step, and whether it is the run's best. */
  step: number;
  best: boolean;
  /**
   * restoreBest: the checkpoint is the run's final state, which holds the best evaluation's weights,
   * restored from this step (its figures are that step's, not those trained up to `step`).
   */
  restoredBestFrom?: number;
  /** Which data: 'validation', 'training' or the given source's dataset name. */
  data: string;
  count: number;
  loss: number;
  metrics: Record<string, number>;
}

export async function evaluateRun(
  store: RunStore,
  runId: string,
  settings: Settings,
  options: { data?: unknown; checkpointStep?: number } = {},
): Promise<EvaluationResult> {
  const run = store.getRun(runId);
  const { model, compute, packedData } = storedRunShape(run.config, settings);
  const checkpoint =
    options.checkpointStep !== undefined
      ? store.checkpointAtStep(runId, options.checkpointStep)
      : store.defaultCheckpoint(runId).checkpoint;
  if (!checkpoint) throw invalidInput(`run ${runId} has no checkpoint to evaluate`);
  const info = store.listCheckpoints(runId).find((c) => c.id === checkpoint.id);
  const best = info?.best === true;
  const restored = info?.restoredBestFrom !== undefined ? { restoredBestFrom: info.restoredBestFrom } : {};
  // Rows are read a chunk at a time (from disk where the files allow), never the whole set at once.
  const { train, validation } = await openRunRows(packedData, run.config.seed);
  const opened: RowSource[] = [train, ...(validation ? [validation] : [])];
  let sums;
  let label = validation ? 'validation' : 'training';
  try {
    let dataset = validation ?? train;
    if (options.data !== undefined) {
      // Targets nothing reads are left out, as from the run's own data (RunShape.packedData).
      const spec = sourceWithoutUnusedTargets(options.data as ValidationSource, model);
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || 'fraction' in spec) {
        throw invalidInput('--data must be a data source ({"kind": …}) or {"path": FILE} of the same kind as the training data');
      }
      const { validation: _v, ...trainingSource } = packedData;
      dataset = await openHeldOut(spec, trainingSource as DataSource, train);
      opened.push(dataset);
      label = dataset.name;
    }
    const params = new Map(
      checkpoint.tensors
        .filter((t) => t.path.startsWith('params/'))
        .map((t) => [t.path.slice('params/'.length), Float32Array.from(assembleGlobal(t))]),
    );
    // A CPU worker's backend and kernels on the run's compute path (native BLAS where it has it), so the
    // figures match the run's val_* ones. Imported here, not at the top: registering wasm on import would
    // make it the engine's default before anything initialised it.
    const { selectBackend } = await import('../../core/tfjs/backend');
    const { nativeBlas } = await import('../../workers/native-blas');
    const order = compute.backend === 'cpu' || compute.backend === 'wasm' ? [compute.backend] : ['wasm' as const, 'cpu' as const];
    await selectBackend(order, { native: nativeBlas(compute.nativeBlas).native ?? undefined });
    sums = evaluateSlice(model, params, dataset, 0, dataset.numExamples);
  } finally {
    for (const s of opened) s.close?.();
  }
  const metrics = Object.fromEntries(Object.entries(sums.metricSums).map(([k, v]) => [k, v / sums.count]));
  return {
    runId,
    step: checkpoint.step,
    best,
    ...restored,
    data: label,
    count: sums.count,
    loss: sums.lossSum / sums.count,
    metrics,
  };
}
