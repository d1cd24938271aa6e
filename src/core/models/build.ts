/**
 * buildModel: validates a spec, infers every layer's shape, names layers the way Keras auto-names them
 * (dense, dense_1, conv2d, max_pooling2d, …) and lists the parameters as `{layer}.kernel` / `{layer}.bias`
 * so LayoutMap regexes written for Keras (`dense.*kernel`) apply unchanged.
 */
import {
  validateModelSpec,
  ModelSpecError,
  type Activation,
  type LayerSpec,
  type LossName,
  type MetricName,
  type ModelSpec,
  type Padding,
  type Pair,
} from './spec';
import { buildKerasRunModel } from './keras-model';
import type { Model } from './model';
import type { ParamInit, ParamSpec, ResolvedLayer } from './parts';

export type { Model, KerasParts } from './model';
export type { ParamInit, ParamSpec, ResolvedLayer } from './parts';

const KERAS_NAMES: Record<LayerSpec['type'], string> = {
  dense: 'dense',
  conv2d: 'conv2d',
  maxPool2d: 'max_pooling2d',
  flatten: 'flatten',
  dropout: 'dropout',
  activation: 'activation',
};

const fail = (path: string, msg: string): never => {
  throw new ModelSpecError(`model spec: ${path}: ${msg}`);
};
const toPair = (p: Pair): [number, number] => (Array.isArray(p) ? [p[0], p[1]] : [p, p]);
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Output length of a window op along one axis (TF's formula); 0 means the window does not fit. */
function windowOut(inSize: number, k: number, s: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(inSize / s) : Math.max(0, Math.floor((inSize - k) / s) + 1);
}

function spatialOut(inShape: number[], k: [number, number], s: [number, number], pad: Padding, path: string, what: string) {
  if (inShape.length !== 3) fail(path, `${what} needs a rank-3 input [height, width, channels], got [${inShape}]`);
  const h = windowOut(inShape[0], k[0], s[0], pad);
  const w = windowOut(inShape[1], k[1], s[1], pad);
  if (h < 1 || w < 1) fail(path, `${what} window [${k}] does not fit input [${inShape}] with padding "valid"`);
  return [h, w];
}

/** Keras's per-class counter: first "dense", then "dense_1", "dense_2", … */
function nameLayer(spec: LayerSpec, counters: Map<string, number>, taken: Set<string>, path: string): string {
  let name = spec.name;
  if (name === undefined) {
    const base = KERAS_NAMES[spec.type];
    const n = counters.get(base) ?? 0;
    counters.set(base, n + 1);
    name = n === 0 ? base : `${base}_${n}`;
  }
  if (taken.has(name)) fail(`${path}.name`, `layer name "${name}" is used twice`);
  taken.add(name);
  return name;
}

function resolveLayer(spec: LayerSpec, name: string, inShape: number[], path: string, dropouts: number): ResolvedLayer {
  switch (spec.type) {
    case 'dense': {
      // Dense on a rank>1 input flattens it first (documented difference: Keras applies it on the last axis).
      const units = spec.units;
      const activation = spec.activation ?? 'linear';
      const bias = spec.useBias === false ? null : `${name}.bias`;
      return { kind: 'dense', name, inShape, outShape: [units], units, activation, kernel: `${name}.kernel`, bias };
    }
    case 'conv2d': {
      const kernelSize = toPair(spec.kernelSize);
      const strides = toPair(spec.strides ?? 1);
      const padding = spec.padding ?? 'valid';
      const [h, w] = spatialOut(inShape, kernelSize, strides, padding, path, 'conv2d');
      const bias = spec.useBias === false ? null : `${name}.bias`;
      const activation = spec.activation ?? 'linear';
      const outShape = [h, w, spec.filters];
      return {
        kind: 'conv2d',
        name,
        inShape,
        outShape,
        filters: spec.filters,
        kernelSize,
        strides,
        padding,
        activation,
        kernel: `${name}.kernel`,
        bias,
      };
    }
    case 'maxPool2d': {
      const poolSize = toPair(spec.poolSize ?? 2);
      const strides = toPair(spec.strides ?? poolSize);
      const padding = spec.padding ?? 'valid';
      const [h, w] = spatialOut(inShape, poolSize, strides, padding, path, 'maxPool2d');
      return { kind: 'maxPool2d', name, inShape, outShape: [h, w, inShape[2]], poolSize, strides, padding };
    }
    case 'flatten':
      return { kind: 'flatten', name, inShape, outShape: [size(inShape)] };
    case 'dropout':
      return { kind: 'dropout', name, inShape, outShape: inShape, rate: spec.rate, index: dropouts };
    case 'activation':
      return { kind: 'activation', name, inShape, outShape: inShape, activation: spec.activation };
  }
}

function paramsOf(layer: ResolvedLayer): ParamSpec[] {
  if (layer.kind === 'dense') {
    const fanIn = size(layer.inShape);
    const out: ParamSpec[] = [
      { path: layer.kernel, shape: [fanIn, layer.units], init: { kind: 'glorot_uniform', fanIn, fanOut: layer.units } },
    ];
    if (layer.bias) out.push({ path: layer.bias, shape: [layer.units], init: { kind: 'zeros' } });
    return out;
  }
  if (layer.kind === 'conv2d') {
    const [kh, kw] = layer.kernelSize;
    const cin = layer.inShape[2];
    const rf = kh * kw; // Keras: fan = channels × receptive field
    const init: ParamInit = { kind: 'glorot_uniform', fanIn: cin * rf, fanOut: layer.filters * rf };
    const out: ParamSpec[] = [{ path: layer.kernel, shape: [kh, kw, cin, layer.filters], init }];
    if (layer.bias) out.push({ path: layer.bias, shape: [layer.filters], init: { kind: 'zeros' } });
    return out;
  }
  return [];
}

function lastActivation(layers: ResolvedLayer[]): Activation {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    if (l.kind === 'dense' || l.kind === 'conv2d' || l.kind === 'activation') return l.activation;
  }
  return 'linear';
}

function checkHead(spec: ModelSpec, layers: ResolvedLayer[], outputShape: number[]): void {
  const metrics = spec.metrics ?? [];
  if (spec.loss === 'softmax_cross_entropy') {
    if (outputShape.length !== 1 || outputShape[0] < 2) {
      fail('loss', `softmax_cross_entropy needs an output of shape [classes >= 2], the model outputs [${outputShape}]`);
    }
    if (lastActivation(layers) === 'softmax') {
      fail('loss', 'softmax_cross_entropy takes logits: remove the softmax activation of the last layer');
    }
    if (metrics.includes('mae')) fail('metrics', '"mae" needs loss "mse" (labels here are class indices)');
  } else if (metrics.includes('accuracy')) {
    fail('metrics', '"accuracy" needs loss "softmax_cross_entropy"');
  }
}

/** Validates `rawSpec` (parsed JSON) and returns the resolved model; throws ModelSpecError. */
export function buildModel(rawSpec: unknown): Model {
  // A Keras model config ("type": "keras") has its own builder; the JSON spec below is this project's own.
  if (typeof rawSpec === 'object' && rawSpec !== null && (rawSpec as { type?: unknown }).type === 'keras') {
    return buildKerasRunModel(rawSpec as Record<string, unknown>);
  }
  const spec = validateModelSpec(rawSpec);
  const counters = new Map<string, number>();
  const taken = new Set<string>();
  const layers: ResolvedLayer[] = [];
  let shape = [...spec.input];
  let dropouts = 0;
  spec.layers.forEach((ls, i) => {
    const path = `layers[${i}]`;
    const name = nameLayer(ls, counters, taken, path);
    const layer = resolveLayer(ls, name, shape, path, dropouts);
    if (layer.kind === 'dropout') dropouts++;
    layers.push(layer);
    shape = layer.outShape;
  });
  checkHead(spec, layers, shape);
  const params = layers.flatMap(paramsOf);
  return {
    spec,
    inputShape: [...spec.input],
    outputShape: shape,
    layers,
    params,
    paramCount: params.reduce((a, p) => a + size(p.shape), 0),
    loss: spec.loss,
    metrics: [...(spec.metrics ?? [])],
  };
}
