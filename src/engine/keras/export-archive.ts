/**
 * A run's model and optimizer state as a Keras 3 archive: the layer weights at their Keras places,
 * the optimizer variables in Keras's order and shapes, and a config.json with compile_config.
 */
import type { KerasArchive } from './archive';
import type { KerasOptimizerState } from './archive-state';
import type { H5Dataset } from './h5-tree';
import { compileConfig } from './compile-config';
import { layerKeys } from './layer-keys';
import { optimizerVarOrder, varKey } from './optimizer-order';
import type { KerasModelDescription } from './spec-to-keras';
import { weightsTree, type LayerVars } from './weights-file';

const float32 = (shape: number[], values: ArrayLike<number>): H5Dataset => ({
  kind: 'dataset',
  shape,
  dtype: 'float32',
  data: Float32Array.from(values),
});

export interface RunStateForExport {
  params: Map<string, ArrayLike<number>>;
  /** Non-trainable variables (BatchNormalization's moving statistics) by path. */
  state?: Map<string, ArrayLike<number>>;
  optimizer: KerasOptimizerState;
}

/** Keras's version this writer targets (metadata.json). */
export const KERAS_VERSION = '3.15.1';

function dateSaved(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * Every saved layer's `vars` (its variables in index order, trainable and non-trainable), and the
 * groups of sub-layers that hold variables (`lstm/cell`, `multi_head_attention/query_dense`).
 */
function layerGroups(model: KerasModelDescription, state: RunStateForExport): LayerVars[] {
  const all = [
    ...model.params.map((p) => ({ p, values: state.params.get(p.path) })),
    ...(model.state ?? []).map((p) => ({ p, values: state.state?.get(p.path) })),
  ];
  const entries = new Map<string, LayerVars>();
  for (const k of layerKeys(model.modelConfig)) entries.set(k.key, { path: k.key, name: k.name, vars: [] });
  for (const { p } of all)
    if (!entries.has(p.layer)) entries.set(p.layer, { path: p.layer, name: p.layer.split('/').pop()!, vars: [] });
  for (const e of entries.values()) {
    e.vars = all
      .filter(({ p }) => p.layer === e.path)
      .sort((a, b) => a.p.index - b.p.index)
      .map(({ p, values }) => {
        if (!values) throw new Error(`internal: no values for ${p.path}`);
        return p.dtype === 'int32'
          ? { kind: 'dataset' as const, shape: p.shape, dtype: 'int32' as const, data: Int32Array.from(values, Math.round) }
          : float32(p.shape, values);
      });
  }
  return [...entries.values()];
}

/** `optimizerConfig` is the Keras 3 get_config() (see compile-config.ts). */
export function toKerasArchive(
  model: KerasModelDescription,
  optimizerConfig: Record<string, unknown>,
  state: RunStateForExport,
  now = new Date(),
): KerasArchive {
  const layers = layerGroups(model, state);
  const opt = state.optimizer;
  const optimizerVars = optimizerVarOrder(optimizerConfig, model.params).map((o): H5Dataset => {
    if (o.kind === 'iteration')
      return { kind: 'dataset', shape: [], dtype: 'int64', data: BigInt64Array.of(BigInt(opt.iterations)) };
    if (o.kind === 'learning_rate') return float32([], [opt.learningRate ?? Number(optimizerConfig.learning_rate)]);
    const values = opt.slots.get(varKey(o));
    if (!values) throw new Error(`internal: no optimizer slot ${varKey(o)}`);
    return float32(o.shape, values);
  });
  const modelName = String((model.modelConfig.config as { name?: unknown }).name ?? 'model');
  return {
    config: {
      ...model.modelConfig,
      compile_config: compileConfig(
        optimizerConfig,
        model.loss,
        model.metrics,
        model.lossWeights ?? null,
        model.weightedMetrics ?? null,
      ),
    },
    metadata: { keras_version: KERAS_VERSION, date_saved: dateSaved(now) },
    weights: weightsTree(modelName, layers, { name: String(optimizerConfig.name ?? 'adadelta'), vars: optimizerVars }),
  };
}
