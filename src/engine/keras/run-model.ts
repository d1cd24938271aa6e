/**
 * `"model": {"type": "keras", "path": "model.keras"}`: the run's model, loss, initial weights and
 * (when the run config gives no optimizer) optimizer config and state come from a Keras 3 archive.
 * The archive is read once, when the run is created: its config.json goes into the run's config
 * (`model.json`, so workers and resumes never need the file again) and its state becomes the run's
 * step-0 checkpoint, which the workers load through the ordinary checkpoint import.
 */
import { readRegularFile } from '../../datasets/files';
import { Adadelta } from '../../core/optimizers/adadelta';
import { buildKerasModel, type Model } from '../../core/models/index';
import { ModelSpecError } from '../../core/models/spec';
import type { CheckpointData, CheckpointTensor } from '../../core/checkpoint/index';
import type { RunConfig } from '../../shared/api';
import { invalidInput } from '../../shared/errors';
import { readKerasArchive, type KerasArchive } from './archive';
import { archiveState, type KerasParam, type KerasRunState } from './archive-state';
import { withDataInputShape } from './input-shape';
import { inlineKerasJson } from './model-json-file';

export interface ResolvedKerasRun {
  config: RunConfig;
  /** The run's starting state (step 0), or null for models that start from their initializers. */
  initial: CheckpointData | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Where each parameter of a Keras-config model sits in model.weights.h5. The builder gives each one its
 * place already keyed the way Keras keys saved layers (by class: `dense`, `dense_1`, …), so a layer
 * *named* like another layer's key (a Dense named "dense" after one named "x") is not confused with it.
 */
export function kerasParamsOf(model: Model): KerasParam[] {
  return placesOf(model.params);
}

/** The same for the model's non-trainable variables (moving statistics, adapted means). */
export function kerasStateOf(model: Model): KerasParam[] {
  return placesOf(model.state ?? []);
}

function placesOf(list: Model['params']): KerasParam[] {
  return list.map((p) => {
    if (!p.h5) throw new Error(`internal: variable ${p.path} has no place in a Keras weights file`);
    return { path: p.path, shape: p.shape, layer: p.h5.layer, index: p.h5.index, ...(p.dtype ? { dtype: p.dtype } : {}) };
  });
}

/** The archive's bytes: a regular file only (a FIFO would block the read, /dev/zero never ends). */
function readArchiveFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readRegularFile(path));
  } catch (e) {
    throw invalidInput(`model.path: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The archive's optimizer config (Keras's get_config()), refusing optimizers this trainer does not have. */
function archiveOptimizer(archive: KerasArchive, path: string): Record<string, unknown> | null {
  const compile = archive.config.compile_config;
  if (!isObj(compile) || compile.optimizer == null) return null;
  const opt = compile.optimizer;
  const className = isObj(opt) ? opt.class_name : opt;
  if (className !== 'Adadelta' && className !== 'adadelta') {
    throw invalidInput(
      `${path}: its optimizer is ${String(className)}; this trainer trains with Adadelta: give an "optimizer" in the run config to start a fresh one`,
    );
  }
  return isObj(opt) && isObj(opt.config) ? { ...opt.config } : {};
}

/** Resolves a Keras-archive model; any other config comes back unchanged with no initial state. */
export async function resolveKerasModel(config: RunConfig): Promise<ResolvedKerasRun> {
  const m = config.model;
  if (!isObj(m) || m.type !== 'keras') return { config, initial: null };
  if (m.path === undefined) {
    const json = (inlineKerasJson(config).model as { json?: unknown }).json;
    return { config: await withDataInputShape(config, typeof json === 'string' ? safeParse(json) : json), initial: null };
  }
  if (typeof m.path !== 'string' || m.path === '') throw invalidInput('model.path must be the path of a .keras file');
  if (m.json !== undefined || m.jsonPath !== undefined)
    throw invalidInput('model: give "path" (a .keras archive) or "json"/"jsonPath" (a model config), not both');
  const archive = await readKerasArchive(readArchiveFile(m.path), m.path);
  const shaped = await withDataInputShape(config, archive.config);
  const inputShape = (shaped.model as { inputShape?: number[] }).inputShape;
  let model: Model;
  try {
    model = buildKerasModel(archive.config, undefined, inputShape);
  } catch (e) {
    // A config the builder refuses is the archive's problem: say which file; anything else is ours.
    if (e instanceof ModelSpecError) throw invalidInput(`${m.path}: ${e.message}`);
    throw e;
  }
  const fromArchive = config.optimizer === undefined ? archiveOptimizer(archive, m.path) : null;
  const optimizer = config.optimizer ?? fromArchive;
  if (!optimizer)
    throw invalidInput(`${m.path} was saved without an optimizer (no compile_config): give an "optimizer" in the run config`);
  const params = kerasParamsOf(model);
  const state = archiveState(archive, params, fromArchive, m.path, kerasStateOf(model));
  const resolved: RunConfig = {
    ...shaped,
    model: { ...(shaped.model as object), json: archive.config } as unknown as RunConfig['model'],
    optimizer,
  };
  return { config: resolved, initial: initialCheckpoint(resolved, model, state) };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // the builder reports it
  }
}

const whole = (path: string, shape: number[], data: Float32Array): CheckpointTensor => ({
  path,
  dtype: 'float32',
  globalShape: shape,
  layout: { specs: shape.map(() => 'unsharded'), mesh: 'batch=1' },
  shards: [{ slices: shape.map((size) => ({ start: 0, size })), data }],
});

/** The archive's state as a step-0 checkpoint: weights, and the optimizer's state or a fresh one. */
function initialCheckpoint(config: RunConfig, model: Model, state: KerasRunState): CheckpointData {
  const opt = Adadelta.fromConfig(config.optimizer);
  const slotNames = [
    ...(opt.useEma ? ['average'] : []),
    ...(opt.gradientAccumulationSteps ? ['gradient_accumulator'] : []),
    'accumulated_grad',
    'accumulated_delta_var',
  ];
  const tensors: CheckpointTensor[] = [];
  for (const p of model.params) {
    const weights = state.params.get(p.path)!;
    tensors.push(whole(`params/${p.path}`, p.shape, weights));
    for (const slot of slotNames) {
      // A fresh optimizer: zero accumulators, EMA averages starting at the weights (as Keras builds them).
      const saved = state.optimizer?.slots.get(`${slot}/${p.path}`);
      tensors.push(
        whole(
          `optimizer/${opt.name}/${slot}/${p.path}`,
          p.shape,
          saved ?? (slot === 'average' ? weights.slice() : new Float32Array(weights.length)),
        ),
      );
    }
  }
  for (const s of model.state ?? []) tensors.push(whole(`state/${s.path}`, s.shape, state.state.get(s.path)!));
  const iterations = state.optimizer?.iterations ?? 0;
  tensors.push({
    path: 'optimizer/iteration',
    dtype: 'int64',
    globalShape: [],
    layout: { specs: [], mesh: 'batch=1' },
    shards: [{ slices: [], data: Float64Array.of(iterations) }],
  });
  return {
    step: 0,
    iterations,
    mesh: 'batch=1',
    tensors,
    state: { dataCursor: 0, seed: config.seed, globalBatchSize: config.globalBatchSize },
  };
}
