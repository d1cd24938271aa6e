/**
 * buildKerasModel: a Model from a Keras model config (Keras 3 or tf.keras 2.x `to_json()` form) and its
 * compile_config. Parameters keep Keras's names (`dense/kernel`, `embedding/embeddings`) and order (the
 * order of `model.weights`), each with its place in model.weights.h5.
 */
import type { KerasParts, Model } from './model';
import type { ModelSpec } from './spec';
import { fail, isObj, parseModelJson, type Obj } from './keras/config';
import { readModelEntry } from './keras/read-model';
import { buildGraph, type GivenShapes } from './keras/graph';
import { lossHeadOf } from './keras/losses';
import { metricFigures, outputLossesOf } from './keras/output-losses';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * `modelConfig`: the object `model.to_json()` prints, or a `.keras` archive's config.json (which carries
 * `compile_config`). `compileConfig` (or a bare `loss`) overrides the one inside.
 */
export function buildKerasModel(modelConfig: unknown, compileConfig?: Obj | null, inputShape?: GivenShapes): Model {
  if (!isObj(modelConfig)) return fail('the model config must be a JSON object (the output of model.to_json())');
  const entry = readModelEntry(modelConfig);
  const compile = compileConfig ?? (isObj(modelConfig.compile_config) ? modelConfig.compile_config : null);
  const { graph, params, state } = buildGraph(entry, inputShape);
  const several = graph.outputs.length > 1;
  const outputLosses = several ? outputLossesOf(compile, graph.outputs, entry.outputsByName) : null;
  const weighted = !several ? singleOutputWeighted(compile) : null;
  const head = outputLosses
    ? outputLosses.outputs[0]!.head
    : lossHeadOf(weighted ? { ...compile, metrics: weighted.map((m) => m.raw) } : compile);
  // Several outputs reach the loss packed into one row per example (graph.ts graphOutput).
  const outputShape = several
    ? [graph.outputs.reduce((a, o) => a + o.size, 0)]
    : graph.nodes.find((n) => n.name === graph.output)!.outShape;
  const figures = weighted ? metricFigures('', byOutputName(compile?.metrics), byOutputName(compile?.weighted_metrics)) : null;
  const metrics: string[] = outputLosses ? outputLosses.figures : figures ? figures.map((f) => f.name) : [...head.metrics];
  const paths = new Set<string>();
  for (const p of [...params, ...state]) {
    if (paths.has(p.path)) fail(`two variables are named "${p.path}"`);
    paths.add(p.path);
  }
  // A placeholder spec: JSON-spec consumers (the tfjs exporter) see a model without spec layers.
  const spec: ModelSpec = {
    type: 'sequential',
    input: graph.inputShape,
    layers: [],
    loss: head.family,
    metrics: [...head.metrics],
    name: entry.name,
  };
  const keras: KerasParts = {
    name: entry.name,
    className: entry.className,
    inputDtype: entry.inputDtype,
    modelConfig,
    compileConfig: compile,
    graph,
    head,
    ...(outputLosses ? { outputLosses } : {}),
    ...(figures ? { metricFigures: figures } : {}),
  };
  return {
    spec,
    inputShape: graph.inputShape,
    outputShape,
    layers: [],
    params,
    state,
    paramCount: params.reduce((a, p) => a + size(p.shape), 0),
    loss: head.family,
    metrics,
    keras,
  };
}

/**
 * The run config's `"model": {"type": "keras", "json": {...}, "loss"?: ...}`. `jsonPath` must already be
 * read into `json` by the caller (core reads no files).
 */
export function buildKerasRunModel(raw: Obj): Model {
  const allowed = new Set(['type', 'json', 'jsonPath', 'loss', 'metrics', 'path', 'inputShape']);
  for (const k of Object.keys(raw))
    if (!allowed.has(k))
      fail(`unknown key "${k}" in a keras model (allowed: type, json, jsonPath, path, loss, metrics, inputShape)`);
  const inputShape = raw.inputShape;
  const isShape = (v: unknown) => Array.isArray(v) && v.every((n) => Number.isInteger(n) && n > 0);
  if (inputShape !== undefined && !isShape(inputShape) && !(isObj(inputShape) && Object.values(inputShape).every(isShape)))
    fail(
      `inputShape must be positive integers (the input's shape without the batch axis), or {"<input>": shape, …} for several inputs, got ${JSON.stringify(inputShape)}`,
    );
  if (raw.json === undefined) {
    return fail(
      raw.jsonPath !== undefined
        ? `jsonPath ${JSON.stringify(raw.jsonPath)} was not read (internal: resolve it before building)`
        : 'a keras model needs "json" (the output of model.to_json()) or "jsonPath"',
    );
  }
  const json = typeof raw.json === 'string' ? parseModelJson(raw.json) : raw.json;
  const inner =
    isObj(json) && isObj(json.compile_config)
      ? json.compile_config
      : isObj(json) && isObj(json.config) && isObj(json.config.compile_config)
        ? json.config.compile_config
        : null;
  const compile =
    raw.loss !== undefined
      ? { ...(inner ?? {}), loss: raw.loss, ...(raw.metrics !== undefined ? { metrics: raw.metrics } : {}) }
      : inner;
  return buildKerasModel(json, compile, inputShape as GivenShapes | undefined);
}

/** One output's metrics given by its name (`{"out": ["accuracy"]}`) as their list: Keras names them without it. */
const byOutputName = (v: unknown): unknown => (isObj(v) && !('class_name' in v) ? Object.values(v).flat() : v);

/** One output's metrics and weighted_metrics as one list for its loss head; null without weighted_metrics. */
function singleOutputWeighted(compile: Obj | null): { raw: unknown }[] | null {
  const w = compile?.weighted_metrics;
  if (w === undefined || w === null || (Array.isArray(w) && w.length === 0)) return null;
  const list = (v: unknown) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
  return [...list(compile?.metrics), ...list(w)].map((raw) => ({ raw }));
}
