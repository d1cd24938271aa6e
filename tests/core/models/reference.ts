/**
 * A float64 reference implementation of the model forward pass and losses, written independently of
 * tfjs, for finite-difference gradient checks. Dropout is treated as identity (evaluation mode).
 */
import type { Model, ResolvedLayer } from '../../../src/core/models';

type Params = Map<string, Float64Array>;

/** TF's output size and leading padding for one spatial axis. */
function axisGeometry(inSize: number, k: number, s: number, padding: 'valid' | 'same'): { out: number; before: number } {
  if (padding === 'valid') return { out: Math.floor((inSize - k) / s) + 1, before: 0 };
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + k - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

function activate(v: Float64Array, activation: string): Float64Array {
  if (activation === 'relu') return v.map((e) => Math.max(0, e));
  if (activation === 'tanh') return v.map(Math.tanh);
  if (activation === 'sigmoid') return v.map((e) => 1 / (1 + Math.exp(-e)));
  if (activation === 'softmax') {
    const m = Math.max(...v);
    const e = v.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  }
  return v;
}

function dense(h: Float64Array, W: Float64Array, b: Float64Array | null, units: number): Float64Array {
  const out = new Float64Array(units);
  for (let u = 0; u < units; u++) {
    let s = b ? b[u] : 0;
    for (let i = 0; i < h.length; i++) s += h[i] * W[i * units + u];
    out[u] = s;
  }
  return out;
}

/** Convolution (W given) or max pooling (W null) of one HWC example. */
function window2d(
  h: Float64Array,
  inShape: number[],
  k: [number, number],
  s: [number, number],
  padding: 'valid' | 'same',
  W: Float64Array | null,
  b: Float64Array | null,
  filters: number,
): Float64Array {
  const [H, Wd, C] = inShape;
  const gh = axisGeometry(H, k[0], s[0], padding);
  const gw = axisGeometry(Wd, k[1], s[1], padding);
  const F = W ? filters : C;
  const out = new Float64Array(gh.out * gw.out * F);
  for (let oh = 0; oh < gh.out; oh++) {
    for (let ow = 0; ow < gw.out; ow++) {
      for (let f = 0; f < F; f++) {
        let acc = W ? (b ? b[f] : 0) : -Infinity;
        for (let i = 0; i < k[0]; i++) {
          for (let j = 0; j < k[1]; j++) {
            const ih = oh * s[0] + i - gh.before;
            const iw = ow * s[1] + j - gw.before;
            if (ih < 0 || ih >= H || iw < 0 || iw >= Wd) continue;
            if (W) for (let c = 0; c < C; c++) acc += h[(ih * Wd + iw) * C + c] * W[((i * k[1] + j) * C + c) * F + f];
            else acc = Math.max(acc, h[(ih * Wd + iw) * C + f]);
          }
        }
        out[(oh * gw.out + ow) * F + f] = acc;
      }
    }
  }
  return out;
}

function applyLayer(h: Float64Array, layer: ResolvedLayer, params: Params): Float64Array {
  const p = (path: string | null) => (path === null ? null : params.get(path)!);
  switch (layer.kind) {
    case 'dense':
      return activate(dense(h, p(layer.kernel)!, p(layer.bias), layer.units), layer.activation);
    case 'conv2d': {
      const y = window2d(
        h,
        layer.inShape,
        layer.kernelSize,
        layer.strides,
        layer.padding,
        p(layer.kernel),
        p(layer.bias),
        layer.filters,
      );
      return activate(y, layer.activation);
    }
    case 'maxPool2d':
      return window2d(h, layer.inShape, layer.poolSize, layer.strides, layer.padding, null, null, 0);
    case 'activation':
      return activate(h, layer.activation);
    default:
      return h; // flatten and (evaluation-mode) dropout
  }
}

/** Model output of one example. */
export function refForward(model: Model, params: Params, example: Float64Array): Float64Array {
  let h = example;
  for (const layer of model.layers) h = applyLayer(h, layer, params);
  return h;
}

/** Mean loss over the batch, in float64. */
export function refLoss(model: Model, params: Params, x: ArrayLike<number>, y: ArrayLike<number>, batch: number): number {
  const inSize = x.length / batch;
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const out = refForward(model, params, Float64Array.from(Array.prototype.slice.call(x, b * inSize, (b + 1) * inSize)));
    if (model.loss === 'softmax_cross_entropy') {
      const m = Math.max(...out);
      const lse = m + Math.log(out.reduce((a, v) => a + Math.exp(v - m), 0));
      total += lse - out[y[b]];
    } else {
      let s = 0;
      for (let j = 0; j < out.length; j++) s += (out[j] - y[b * out.length + j]) ** 2;
      total += s / out.length;
    }
  }
  return total / batch;
}

/** Central-difference derivative of refLoss with respect to element `index` of parameter `path`. */
export function numericGrad(
  model: Model,
  params: Params,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  batch: number,
  path: string,
  index: number,
  h = 1e-6,
): number {
  const p = params.get(path)!;
  const saved = p[index];
  p[index] = saved + h;
  const up = refLoss(model, params, x, y, batch);
  p[index] = saved - h;
  const down = refLoss(model, params, x, y, batch);
  p[index] = saved;
  return (up - down) / (2 * h);
}

export function toFloat64(params: Map<string, Float32Array>): Params {
  return new Map([...params].map(([k, v]) => [k, Float64Array.from(v)]));
}
