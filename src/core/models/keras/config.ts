/**
 * Reading a Keras model config: Keras 3's `model.to_json()` / the `config.json` of a `.keras` archive
 * (`module`, `class_name`, `config`, `registered_name`, `build_config`) and tf.keras 2.x's `to_json()`
 * (`class_name`, `config`, `batch_input_shape`). Both are brought to one shape: a list of layer entries
 * with the values they take their inputs from (read-model.ts).
 */
import { ModelSpecError } from '../spec';

export type Obj = Record<string, unknown>;

/** The first call of a layer as Keras saved it: positional args and kwargs, tensors as `__keras_tensor__`. */
export interface CallNode {
  args: unknown[];
  kwargs: Obj;
}

/** One layer (or keras.ops call) of the model, nested models already inlined. */
export interface LayerEntry {
  className: string;
  /** Keras's `module` (`keras.layers`, `keras.src.ops.numpy`, …); null in tf.keras 2.x configs. */
  module: string | null;
  /** Unique in the graph: a nested model's layers are `<model>/<layer>`. */
  name: string;
  config: Obj;
  /**
   * The values feeding this one, in call order: a layer's name for its first output, `name:k` for
   * output k (an LSTM's states). Empty for an InputLayer.
   */
  inbound: string[];
  /** The call as saved (constants and kwargs such as `use_causal_mask`), null in 2.x configs. */
  call: CallNode | null;
  /** A `keras.ops` call in a Functional graph: no variables, no place in the weights file. */
  isOp: boolean;
  /** Where its variables sit in model.weights.h5 (`dense_1`, `sequential/layers/dense`); null for ops. */
  h5: string | null;
}

/** One of the model's inputs: the name `fit` keys its data by, and the InputLayer feeding it. */
export interface ModelInput {
  name: string;
  layer: string;
  shape: (number | null)[] | null;
  dtype: string;
}

/** One of the model's outputs: the name Keras keys its loss and metrics by, and the value it is. */
export interface ModelOutput {
  name: string;
  value: string;
}

export interface ModelEntry {
  className: 'Sequential' | 'Functional';
  name: string;
  layers: LayerEntry[];
  /** The value that is the model's (first) output. */
  output: string;
  /** The (first) InputLayer's name. */
  input: string;
  /** Every input and output, in Keras's order (`model.inputs`, `model.outputs`). */
  inputs: ModelInput[];
  outputs: ModelOutput[];
  /** The model's outputs are a dict (`keras.Model(x, {"a": …})`): a loss dict may leave one out. */
  outputsByName: boolean;
  /** The (first) input's shape without the batch axis (null dimensions are resolved from the data). */
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

/** Model classes that nest: their config holds `layers`. */
export const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** A keras.ops call saved in a Functional graph (`keras.src.ops.numpy.Add`, not the `Add` layer). */
export const isOpModule = (module: unknown): boolean => typeof module === 'string' && /^keras(\.src)?\.ops(\.|$)/.test(module);

/** Keras's `naming.to_snake_case`: how the weights file keys a layer (by class). */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * A subclass saved under a built-in's class_name is still custom code this trainer does not have:
 * Keras itself refuses a built-in with another registered_name. `registered_name` other than the class
 * name (`Custom>MyDense`), or a module outside Keras (`__main__`, `my_package.layers`), marks one.
 */
export function refuseCustomClass(r: Obj, what: string): void {
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
export function inputShapeOf(config: Obj): (number | null)[] | null {
  const batch = config.batch_shape ?? config.batch_input_shape;
  if (Array.isArray(batch)) return batch.slice(1) as (number | null)[];
  if (Array.isArray(config.input_shape)) return config.input_shape as (number | null)[];
  return null;
}

export function dtypeOf(config: Obj): string {
  const d = config.dtype;
  if (typeof d === 'string') return d;
  if (isObj(d) && isObj(d.config) && typeof d.config.name === 'string') return d.config.name;
  return 'float32';
}

/**
 * A Functional model's inputs or outputs: `[["x", 0, 0]]`, `["x", 0, 0]`, or Keras 3's dict form
 * (`{"title": ["title", 0, 0]}`, a model built on dicts). `value` is the graph value, `key` the name
 * `fit` keys the data by: the dict's key, else the layer's name.
 */
export function endpointNames(v: unknown, what: string, model: string): { key: string; value: string }[] {
  const dict = isObj(v);
  if (!Array.isArray(v) && !dict) return fail(`functional model "${model}" has no ${what}`);
  const list = dict ? Object.values(v) : typeof v[0] === 'string' ? [v] : v;
  const keys = dict ? Object.keys(v) : null;
  return list.map((e, k) => {
    if (!(Array.isArray(e) && typeof e[0] === 'string'))
      return fail(`functional model "${model}": bad ${what} entry ${JSON.stringify(e)}`);
    const value = e[2] && e[2] !== 0 ? `${e[0]}:${String(e[2])}` : e[0];
    return { key: keys ? keys[k]! : e[0], value };
  });
}
