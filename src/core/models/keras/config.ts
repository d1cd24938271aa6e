/**
 * Reading a Keras model config: Keras 3's `model.to_json()` / the `config.json` of a `.keras` archive
 * (`module`, `class_name`, `config`, `registered_name`, `build_config`) and tf.keras 2.x's `to_json()`
 * (`class_name`, `config`, `batch_input_shape`). Both are brought to one shape: a list of layer entries
 * with the names of the layers they take their input from.
 */
import { ModelSpecError } from '../spec';

export type Obj = Record<string, unknown>;

/** One layer of the model config, whichever Keras wrote it. */
export interface LayerEntry {
  className: string;
  name: string;
  config: Obj;
  /** Names of the layers whose outputs feed this one (empty for an InputLayer). */
  inbound: string[];
}

export interface ModelEntry {
  className: 'Sequential' | 'Functional';
  name: string;
  layers: LayerEntry[];
  /** Functional: the layer producing the output (Sequential: the last one). */
  output: string;
  /** Input shape without the batch axis, when the config states it. */
  inputShape: (number | null)[] | null;
  inputDtype: string;
}

export class KerasConfigError extends ModelSpecError {
  override name = 'KerasConfigError';
}

export const fail = (msg: string): never => {
  throw new KerasConfigError(`keras model: ${msg}`);
};

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses `model.to_json()` text (or a `.keras` config.json): the top-level object with class_name/config. */
export function parseModelJson(text: string): Obj {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON: ${(e as Error).message}`);
  }
  if (!isObj(parsed) || typeof parsed.class_name !== 'string' || !isObj(parsed.config)) {
    return fail('expected the output of model.to_json(): an object with "class_name" and "config"');
  }
  return parsed;
}

/** The model entry of a whole `to_json()` object, or of its inner `config` alone (Sequential or Functional). */
export function readModelEntry(json: Obj): ModelEntry {
  const className = String(json.class_name ?? (Array.isArray((json as Obj).layers) ? 'Sequential' : ''));
  const config = isObj(json.config) ? json.config : fail('the model has no "config" object');
  const name = typeof config.name === 'string' ? config.name : className.toLowerCase();
  if (!Array.isArray(config.layers) || config.layers.length === 0) fail(`model "${name}" has no layers`);
  if (className === 'Sequential') return readSequential(name, config);
  if (className === 'Functional' || className === 'Model') return readFunctional(name, config);
  return fail(`the model class "${className}" is not supported (supported: Sequential, Functional)`);
}

function layerBasics(raw: unknown, i: number): { className: string; name: string; config: Obj } {
  if (!isObj(raw) || typeof raw.class_name !== 'string' || !isObj(raw.config))
    fail(`layers[${i}] is not a {class_name, config} object`);
  const r = raw as Obj;
  const config = r.config as Obj;
  const name =
    typeof config.name === 'string' ? config.name : typeof r.name === 'string' ? r.name : fail(`layers[${i}] has no name`);
  refuseCustomClass(r, `layers[${i}] (${name})`);
  return { className: r.class_name as string, name, config };
}

/**
 * A subclass saved under a built-in's class_name is still custom code this trainer does not have:
 * Keras itself refuses a built-in with another registered_name. `registered_name` other than the class
 * name (`Custom>MyDense`), or a module outside Keras (`__main__`, `my_package.layers`), marks one.
 */
function refuseCustomClass(r: Obj, what: string): void {
  const registered = r.registered_name;
  if (typeof registered === 'string' && registered !== '' && registered !== r.class_name)
    fail(
      `${what} is the custom class '${registered}', not Keras's ${String(r.class_name)}: only Keras's built-in layers can be trained here`,
    );
  const module = r.module;
  if (typeof module === 'string' && !/^(keras|tf_keras|tensorflow)(\.|$)/.test(module))
    fail(
      `${what} is a ${String(r.class_name)} from module '${module}', not one of Keras's built-in layers: only those can be trained here`,
    );
}

/** [null, 6] (Keras 3 batch_shape, 2.x batch_input_shape) → [6]; input_shape has no batch axis. */
function inputShapeOf(config: Obj): (number | null)[] | null {
  const batch = config.batch_shape ?? config.batch_input_shape;
  if (Array.isArray(batch)) return batch.slice(1) as (number | null)[];
  if (Array.isArray(config.input_shape)) return config.input_shape as (number | null)[];
  return null;
}

function dtypeOf(config: Obj): string {
  const d = config.dtype;
  if (typeof d === 'string') return d;
  if (isObj(d) && isObj(d.config) && typeof d.config.name === 'string') return d.config.name;
  return 'float32';
}

function readSequential(name: string, config: Obj): ModelEntry {
  const raws = config.layers as unknown[];
  const layers: LayerEntry[] = [];
  let inputShape: (number | null)[] | null = null;
  let inputDtype = 'float32';
  raws.forEach((raw, i) => {
    const { className, name: lname, config: lc } = layerBasics(raw, i);
    if (i === 0) {
      inputShape = inputShapeOf(lc);
      inputDtype = dtypeOf(lc);
      // 2.x puts batch_input_shape on the first real layer; an InputLayer may be absent.
      if (className !== 'InputLayer')
        layers.push({ className: 'InputLayer', name: `${name}_input`, config: { dtype: inputDtype }, inbound: [] });
    }
    layers.push({ className, name: lname, config: lc, inbound: layers.length === 0 ? [] : [layers[layers.length - 1]!.name] });
  });
  if (inputShape === null && Array.isArray(config.build_input_shape))
    inputShape = (config.build_input_shape as (number | null)[]).slice(1);
  return { className: 'Sequential', name, layers, output: layers[layers.length - 1]!.name, inputShape, inputDtype };
}

/** Layer names a node's arguments reference: Keras 3 `__keras_tensor__` histories or 2.x `[name, node, tensor, kwargs]`. */
function inboundNames(raw: Obj, lname: string): string[] {
  const nodes = raw.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) return [];
  if (nodes.length > 1) fail(`layer "${lname}" is called ${nodes.length} times (shared layers are not supported)`);
  const out: string[] = [];
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
  const pushHistory = (h: unknown[]) => {
    if (h[1] !== 0 || h[2] !== 0)
      fail(
        `layer "${lname}" takes output ${h[2]} of call ${h[1]} of "${h[0]}" (shared layers and multi-output layers are not supported)`,
      );
    out.push(String(h[0]));
  };
  visit(nodes[0]);
  return out;
}

/** [["x", 0, 0]] or ["x", 0, 0] → ["x"] */
function endpointNames(v: unknown, what: string, model: string): string[] {
  if (!Array.isArray(v)) return fail(`functional model "${model}" has no ${what}`);
  const list = typeof v[0] === 'string' ? [v] : v;
  return list.map((e) =>
    Array.isArray(e) && typeof e[0] === 'string'
      ? e[0]
      : fail(`functional model "${model}": bad ${what} entry ${JSON.stringify(e)}`),
  );
}

function readFunctional(name: string, config: Obj): ModelEntry {
  const layers = (config.layers as unknown[]).map((raw, i) => {
    const b = layerBasics(raw, i);
    return { ...b, inbound: inboundNames(raw as Obj, b.name) };
  });
  const inputs = endpointNames(config.input_layers, 'input_layers', name);
  const outputs = endpointNames(config.output_layers, 'output_layers', name);
  if (inputs.length !== 1) fail(`functional model "${name}" has ${inputs.length} inputs (one input is supported)`);
  if (outputs.length !== 1) fail(`functional model "${name}" has ${outputs.length} outputs (one output is supported)`);
  const input =
    layers.find((l) => l.name === inputs[0]) ??
    fail(`functional model "${name}": input layer "${inputs[0]}" is not among its layers`);
  return {
    className: 'Functional',
    name,
    layers,
    output: outputs[0]!,
    inputShape: inputShapeOf(input.config),
    inputDtype: dtypeOf(input.config),
  };
}
