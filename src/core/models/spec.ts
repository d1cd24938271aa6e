/**
 * The JSON model spec and its structural validation (keys, types, ranges). Shape compatibility between
 * layers is checked in build.ts, where shapes are inferred. Every error is one line naming the path.
 */
import { unknownKeyMessage } from '../text/did-you-mean';
import { UserError } from '../errors';

export const ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];
export type Padding = 'valid' | 'same';
export type Pair = number | [number, number];

export interface DenseSpec {
  type: 'dense';
  units: number;
  activation?: Activation;
  useBias?: boolean;
  name?: string;
}
export interface Conv2DSpec {
  type: 'conv2d';
  filters: number;
  kernelSize: Pair;
  strides?: Pair;
  padding?: Padding;
  activation?: Activation;
  useBias?: boolean;
  name?: string;
}
export interface MaxPool2DSpec {
  type: 'maxPool2d';
  poolSize?: Pair;
  strides?: Pair;
  padding?: Padding;
  name?: string;
}
export interface FlattenSpec {
  type: 'flatten';
  name?: string;
}
export interface DropoutSpec {
  type: 'dropout';
  rate: number;
  name?: string;
}
export interface ActivationSpec {
  type: 'activation';
  activation: Activation;
  name?: string;
}
export type LayerSpec = DenseSpec | Conv2DSpec | MaxPool2DSpec | FlattenSpec | DropoutSpec | ActivationSpec;

export const LOSSES = ['softmax_cross_entropy', 'mse'] as const;
export type LossName = (typeof LOSSES)[number];
export const METRICS = ['accuracy', 'mae'] as const;
export type MetricName = (typeof METRICS)[number];

export interface ModelSpec {
  /** 'mlp' admits only dense, dropout, activation and flatten layers. */
  type: 'mlp' | 'sequential';
  /** Shape of one example, without the batch dimension. */
  input: number[];
  layers: LayerSpec[];
  loss: LossName;
  metrics?: MetricName[];
  name?: string;
}

/** A model spec or Keras model config the trainer cannot build: the user's input. */
export class ModelSpecError extends UserError {
  override name = 'ModelSpecError';
  /** The spec path the problem concerns (`layers[0].units`), so a form can show it at the field. */
  constructor(
    message: string,
    readonly path = '',
  ) {
    super('invalid-input', message);
  }
}

type Obj = Record<string, unknown>;
type Check = (v: unknown, path: string) => void;

const fail = (path: string, msg: string): never => {
  throw new ModelSpecError(`model spec: ${path}: ${msg}`, path === '(root)' ? '' : path);
};
const show = (v: unknown): string => (v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v)));

const posInt: Check = (v, p) => {
  if (!Number.isInteger(v) || (v as number) < 1) fail(p, `expected a positive integer, got ${show(v)}`);
};
const bool: Check = (v, p) => {
  if (typeof v !== 'boolean') fail(p, `expected true or false, got ${show(v)}`);
};
const oneOf =
  (allowed: readonly string[]): Check =>
  (v, p) => {
    if (typeof v !== 'string' || !allowed.includes(v)) fail(p, `expected one of ${allowed.join(', ')}, got ${show(v)}`);
  };
const pair: Check = (v, p) => {
  if (Array.isArray(v)) {
    if (v.length !== 2) fail(p, `expected a positive integer or [h, w], got ${show(v)}`);
    v.forEach((e, i) => posInt(e, `${p}[${i}]`));
  } else if (!Number.isInteger(v) || (v as number) < 1) {
    fail(p, `expected a positive integer or [h, w], got ${show(v)}`);
  }
};
const layerName: Check = (v, p) => {
  if (typeof v !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
    fail(p, `expected a name of letters, digits and _ (not starting with a digit), got ${show(v)}`);
  }
};
const rate: Check = (v, p) => {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(p, `expected a number in [0, 1), got ${show(v)}`);
};

/** Per layer type: required and optional keys with their checks. */
const LAYER_KEYS: Record<LayerSpec['type'], { required: Record<string, Check>; optional: Record<string, Check> }> = {
  dense: {
    required: { units: posInt },
    optional: { activation: oneOf(ACTIVATIONS), useBias: bool, name: layerName },
  },
  conv2d: {
    required: { filters: posInt, kernelSize: pair },
    optional: {
      strides: pair,
      padding: oneOf(['valid', 'same']),
      activation: oneOf(ACTIVATIONS),
      useBias: bool,
      name: layerName,
    },
  },
  maxPool2d: {
    required: {},
    optional: { poolSize: pair, strides: pair, padding: oneOf(['valid', 'same']), name: layerName },
  },
  flatten: { required: {}, optional: { name: layerName } },
  dropout: { required: { rate }, optional: { name: layerName } },
  activation: { required: { activation: oneOf(ACTIVATIONS) }, optional: { name: layerName } },
};
const LAYER_TYPES = Object.keys(LAYER_KEYS);
const MLP_TYPES = ['dense', 'dropout', 'activation', 'flatten'];

function checkObject(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, `expected an object, got ${show(v)}`);
  return v as Obj;
}

function checkKeys(obj: Obj, path: string, required: Record<string, Check>, optional: Record<string, Check>): void {
  const allowed = ['type', ...Object.keys(required), ...Object.keys(optional)];
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(`${path}.${key}`, unknownKeyMessage(key, allowed));
  }
  for (const [key, check] of Object.entries(required)) {
    if (!(key in obj)) fail(`${path}.${key}`, 'is required');
    check(obj[key], `${path}.${key}`);
  }
  for (const [key, check] of Object.entries(optional)) if (key in obj) check(obj[key], `${path}.${key}`);
}

function checkLayer(v: unknown, path: string, modelType: string): void {
  const layer = checkObject(v, path);
  if (typeof layer.type !== 'string' || !LAYER_TYPES.includes(layer.type)) {
    fail(`${path}.type`, `expected one of ${LAYER_TYPES.join(', ')}, got ${show(layer.type)}`);
  }
  const type = layer.type as LayerSpec['type'];
  if (modelType === 'mlp' && !MLP_TYPES.includes(type)) {
    fail(`${path}.type`, `"${type}" is not allowed in an mlp (use "type": "sequential")`);
  }
  checkKeys(layer, path, LAYER_KEYS[type].required, LAYER_KEYS[type].optional);
}

const TOP_REQUIRED: Record<string, Check> = {
  type: oneOf(['mlp', 'sequential']),
  input: (v, p) => {
    if (!Array.isArray(v) || v.length === 0) fail(p, `expected a non-empty array of positive integers, got ${show(v)}`);
    (v as unknown[]).forEach((e, i) => posInt(e, `${p}[${i}]`));
  },
  layers: (v, p) => {
    if (!Array.isArray(v) || v.length === 0) fail(p, `expected a non-empty array of layers, got ${show(v)}`);
  },
  loss: oneOf(LOSSES),
};
const TOP_OPTIONAL: Record<string, Check> = {
  metrics: (v, p) => {
    if (!Array.isArray(v)) fail(p, `expected an array, got ${show(v)}`);
    (v as unknown[]).forEach((m, i) => oneOf(METRICS)(m, `${p}[${i}]`));
    if (new Set(v as unknown[]).size !== (v as unknown[]).length) fail(p, `lists a metric twice: ${show(v)}`);
  },
  name: (v, p) => {
    if (typeof v !== 'string') fail(p, `expected a string, got ${show(v)}`);
  },
};

/** Checks keys and value types of a parsed JSON spec; returns it typed. Shapes are checked by buildModel. */
export function validateModelSpec(raw: unknown): ModelSpec {
  const spec = checkObject(raw, '(root)');
  const allowed = [...Object.keys(TOP_REQUIRED), ...Object.keys(TOP_OPTIONAL)];
  for (const key of Object.keys(spec)) {
    if (!allowed.includes(key)) fail(key, unknownKeyMessage(key, allowed));
  }
  for (const [key, check] of Object.entries(TOP_REQUIRED)) {
    if (!(key in spec)) fail(key, 'is required');
    check(spec[key], key);
  }
  for (const [key, check] of Object.entries(TOP_OPTIONAL)) if (key in spec) check(spec[key], key);
  (spec.layers as unknown[]).forEach((l, i) => checkLayer(l, `layers[${i}]`, spec.type as string));
  return spec as unknown as ModelSpec;
}
