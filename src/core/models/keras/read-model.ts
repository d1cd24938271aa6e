/**
 * A Keras model config as one flat list of layer entries in an order where each follows its inputs:
 * Sequential as its list, Functional as Keras writes it (topologically), nested Sequential/Functional
 * models inlined (their layers named `<model>/<layer>`, their InputLayers fed by the outer inputs, the
 * model's own entry passing its output on). Each entry gets its place in model.weights.h5: Keras keys a
 * model's `layers` by class (snake_case, `_1`, `_2` for repeats; a Sequential lists no InputLayer, a
 * keras.ops call is no layer), nested models' layers under `<key>/layers/`.
 */
import {
  MODEL_CLASSES,
  dtypeOf,
  endpointNames,
  fail,
  inputShapeOf,
  isObj,
  isOpModule,
  refuseCustomClass,
  toSnakeCase,
  type CallNode,
  type LayerEntry,
  type ModelEntry,
  type ModelInput,
  type ModelOutput,
  type Obj,
} from './config';

interface Scope {
  /** Prefix of layer names inside this (nested) model. */
  prefix: string;
  /** Prefix of h5 paths of this model's layers. */
  h5Prefix: string;
  /** Outer values feeding a nested model's inputs (none at the top). */
  feeds: string[] | null;
}

interface ReadModel {
  layers: LayerEntry[];
  /** Output values, with the names Keras keys them by. */
  outputs: ModelOutput[];
  /** InputLayer entries, in the model's input order, with the names `fit` keys them by. */
  inputs: { name: string; entry: LayerEntry }[];
}

/** The model entry of a whole `to_json()` object, or of its inner `config` alone (Sequential or Functional). */
export function readModelEntry(json: Obj): ModelEntry {
  const className = String(json.class_name ?? (Array.isArray((json as Obj).layers) ? 'Sequential' : ''));
  const config = isObj(json.config) ? json.config : fail('the model has no "config" object');
  const name = typeof config.name === 'string' ? config.name : className.toLowerCase();
  if (!MODEL_CLASSES.has(className))
    return fail(`the model class "${className}" is not supported (supported: Sequential, Functional)`);
  const read = readModel(className, name, config, { prefix: '', h5Prefix: '', feeds: null });
  const inputs: ModelInput[] = read.inputs.map(({ name: key, entry }) => ({
    name: key,
    layer: entry.name,
    shape: inputShapeOf(entry.config),
    dtype: dtypeOf(entry.config),
  }));
  const first = inputs[0]!;
  if (first.shape === null && className === 'Sequential' && Array.isArray(config.build_input_shape))
    first.shape = (config.build_input_shape as (number | null)[]).slice(1);
  for (const [what, list] of [
    ['inputs', inputs],
    ['outputs', read.outputs],
  ] as const) {
    const names = list.map((e) => e.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) fail(`model "${name}" has two ${what} named "${twice}"`);
  }
  return {
    className: className === 'Sequential' ? 'Sequential' : 'Functional',
    name,
    layers: read.layers,
    output: read.outputs[0]!.value,
    input: first.layer,
    inputs,
    outputs: read.outputs,
    outputsByName: className !== 'Sequential' && isObj(config.output_layers),
    inputShape: first.shape,
    inputDtype: first.dtype,
  };
}

function readModel(className: string, name: string, config: Obj, scope: Scope): ReadModel {
  if (!Array.isArray(config.layers) || config.layers.length === 0) fail(`model "${name}" has no layers`);
  return className === 'Sequential' ? readSequential(name, config, scope) : readFunctional(name, config, scope);
}

function basics(raw: unknown, i: number, model: string): { className: string; module: string | null; name: string; config: Obj } {
  if (!isObj(raw) || typeof raw.class_name !== 'string' || !isObj(raw.config))
    fail(`model "${model}": layers[${i}] is not a {class_name, config} object`);
  const r = raw as Obj;
  const config = r.config as Obj;
  const name =
    typeof config.name === 'string'
      ? config.name
      : typeof r.name === 'string'
        ? r.name
        : fail(`model "${model}": layers[${i}] has no name`);
  refuseCustomClass(r, `model "${model}": layers[${i}] (${name})`);
  return { className: r.class_name as string, module: typeof r.module === 'string' ? r.module : null, name, config };
}

/** h5 keys of a model's `layers` list, in order (null for entries Keras does not list there). */
function weightKeys(entries: { className: string; isOp: boolean }[], sequential: boolean): (string | null)[] {
  const used = new Map<string, number>();
  return entries.map((e) => {
    if (e.isOp || (sequential && e.className === 'InputLayer')) return null;
    const base = toSnakeCase(e.className);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  });
}

function readSequential(name: string, config: Obj, scope: Scope): ReadModel {
  const raws = config.layers as unknown[];
  const all = raws.map((raw, i) => ({ ...basics(raw, i, name), isOp: false }));
  const keys = weightKeys(all, true);
  const out: LayerEntry[] = [];
  let input: LayerEntry;
  let previous: string;
  if (all[0]!.className === 'InputLayer') {
    const first = all[0]!;
    input = entry(first, scope, scope.feeds ? [scope.feeds[0]!] : [], null, null);
  } else {
    // 2.x puts batch_input_shape on the first real layer; an InputLayer may be absent.
    const c = all[0]!.config;
    const cfg: Obj = { dtype: dtypeOf(c), batch_shape: c.batch_shape ?? c.batch_input_shape ?? null };
    if (cfg.batch_shape === null && Array.isArray(c.input_shape)) cfg.batch_shape = [null, ...(c.input_shape as unknown[])];
    input = entry(
      { className: 'InputLayer', module: null, name: `${name}_input`, config: cfg },
      scope,
      scope.feeds ?? [],
      null,
      null,
    );
  }
  if (scope.feeds && scope.feeds.length !== 1)
    fail(`nested model "${name}" takes ${scope.feeds.length} inputs (a Sequential takes one)`);
  out.push(input);
  previous = input.name;
  all.forEach((layer, i) => {
    if (i === 0 && layer.className === 'InputLayer') return;
    previous = push(out, layer, scope, [previous], null, keys[i]!);
  });
  return {
    layers: out,
    outputs: [{ name: previous.split('/').pop()!, value: previous }],
    inputs: [{ name: input.name, entry: input }],
  };
}

function readFunctional(name: string, config: Obj, scope: Scope): ReadModel {
  const raws = config.layers as unknown[];
  const all = raws.map((raw, i) => {
    const b = basics(raw, i, name);
    return { ...b, isOp: isOpModule(b.module), raw: raw as Obj };
  });
  const keys = weightKeys(all, false);
  const inputEnds = endpointNames(config.input_layers, 'input_layers', name);
  const inputNames = inputEnds.map((e) => e.value);
  const outputs = endpointNames(config.output_layers, 'output_layers', name);
  if (scope.feeds && scope.feeds.length !== inputNames.length)
    fail(`nested model "${name}" has ${inputNames.length} inputs and is called with ${scope.feeds.length}`);
  const out: LayerEntry[] = [];
  const inputs = new Map<number, LayerEntry>();
  all.forEach((layer, i) => {
    const inputAt = layer.className === 'InputLayer' ? inputNames.indexOf(layer.name) : -1;
    if (inputAt >= 0) {
      const e = entry(layer, scope, scope.feeds ? [scope.feeds[inputAt]!] : [], null, keys[i]!);
      out.push(e);
      inputs.set(inputAt, e);
      return;
    }
    const { refs, call } = inboundOf(layer.raw, layer.name);
    push(
      out,
      layer,
      scope,
      refs.map((r) => scope.prefix + r),
      call,
      keys[i]!,
    );
  });
  inputNames.forEach(
    (n) => all.some((l) => l.name === n) || fail(`functional model "${name}": input layer "${n}" is not among its layers`),
  );
  return {
    layers: out,
    outputs: outputs.map((o) => ({ name: o.key, value: scope.prefix + o.value })),
    inputs: inputEnds.map((e, k) => ({ name: e.key, entry: inputs.get(k)! })),
  };
}

function entry(
  b: { className: string; module: string | null; name: string; config: Obj; isOp?: boolean },
  scope: Scope,
  inbound: string[],
  call: CallNode | null,
  key: string | null,
): LayerEntry {
  return {
    className: b.className,
    module: b.module,
    name: scope.prefix + b.name,
    config: b.config,
    inbound,
    call,
    isOp: b.isOp ?? false,
    h5: key === null ? null : scope.h5Prefix + key,
  };
}

/** Appends a layer (a nested model: its layers, then its own entry passing its output on); returns its value name. */
function push(
  out: LayerEntry[],
  layer: { className: string; module: string | null; name: string; config: Obj; isOp?: boolean },
  scope: Scope,
  inbound: string[],
  call: CallNode | null,
  key: string | null,
): string {
  if (!MODEL_CLASSES.has(layer.className)) {
    const e = entry(layer, scope, inbound, call, key);
    out.push(e);
    return e.name;
  }
  const inner = readModel(layer.className, layer.name, frozenIf(layer.config), {
    prefix: `${scope.prefix}${layer.name}/`,
    h5Prefix: `${scope.h5Prefix}${key}/layers/`,
    feeds: inbound,
  });
  out.push(...inner.layers);
  // The model's own entry: its place is the nested model's group (which holds its layers). It passes
  // every output on, in the model's output order: `<model>:k` is its k-th (as keras_history indexes it).
  out.push({
    ...entry(
      layer,
      scope,
      inner.outputs.map((o) => o.value),
      call,
      key,
    ),
    config: { name: layer.name },
  });
  return scope.prefix + layer.name;
}

/** A frozen model's config with every layer inside it frozen too (Keras's `model.trainable = False` sets them all). */
function frozenIf(config: Obj): Obj {
  if (config.trainable !== false || !Array.isArray(config.layers)) return config;
  const layers = (config.layers as unknown[]).map((l) =>
    isObj(l) && isObj(l.config) ? { ...l, config: frozenIf({ ...l.config, trainable: false }) } : l,
  );
  return { ...config, layers };
}

/**
 * The values a node's arguments reference, in call order (args, then kwargs): Keras 3 `__keras_tensor__`
 * histories or 2.x `[name, node, tensor, kwargs]`.
 */
function inboundOf(raw: Obj, lname: string): { refs: string[]; call: CallNode | null } {
  const nodes = raw.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return { refs: [], call: null };
  if (nodes.length > 1) fail(`layer "${lname}" is called ${nodes.length} times (shared layers are not supported)`);
  const refs: string[] = [];
  const pushHistory = (h: unknown[]) => {
    if (h[1] !== 0) fail(`layer "${lname}" takes call ${h[1]} of "${h[0]}" (shared layers are not supported)`);
    refs.push(h[2] === 0 ? String(h[0]) : `${String(h[0])}:${String(h[2])}`);
  };
  const visit = (v: unknown): void => {
    if (isObj(v)) {
      const history = isObj(v.config) ? v.config.keras_history : undefined;
      if (v.class_name === '__keras_tensor__' && Array.isArray(history)) return void pushHistory(history);
      Object.values(v).forEach(visit);
    } else if (Array.isArray(v)) {
      if (typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number') return void pushHistory(v);
      v.forEach(visit);
    }
  };
  const node = nodes[0];
  visit(node);
  const call =
    isObj(node) && Array.isArray(node.args) ? { args: node.args, kwargs: isObj(node.kwargs) ? node.kwargs : {} } : null;
  return { refs, call };
}

/** Every layer Keras saves in model.weights.h5, with its group path (`dense_1`, `sequential/layers/dense`), in config order. */
export function savedLayers(json: Obj): { h5: string; name: string; className: string }[] {
  return readModelEntry(json)
    .layers.filter((l) => l.h5 !== null)
    .map((l) => ({ h5: l.h5!, name: l.name.split('/').pop()!, className: l.className }));
}

/** The model's input shape without the batch axis as its config states it (None dimensions as null). */
export function kerasInputShape(json: Obj): (number | null)[] | null {
  return readModelEntry(json).inputShape;
}

/** Every input's name and shape as the config states them (None dimensions as null), in Keras's order. */
export function kerasInputShapes(json: Obj): { name: string; shape: (number | null)[] | null }[] {
  return readModelEntry(json).inputs.map((i) => ({ name: i.name, shape: i.shape }));
}
