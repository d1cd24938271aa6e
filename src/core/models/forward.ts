/**
 * The functional forward pass: parameters come in as a Map of tensors, nothing is stored in the model,
 * so the same Model serves any number of workers and any parameter source.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isDeferred, placeholder, writableInPlace, type DeferredParam } from './deferred-params';
import type { CopyMeter } from '../metering/copy-meter';
import { defaultContext } from '../context';
import type { Model, ResolvedLayer } from './build';
import type { Activation } from './spec';
import { dropoutMask } from '../random/dropout-mask';
import { biasRelu } from '../tfjs/bias-relu';
import { dropoutMaskTensor } from '../tfjs/dropout-mask';
import { biasReluMaxPool } from '../tfjs/bias-relu-pool';
import { graphOutput, runGraph } from './keras/graph';
import type { LayerContext } from './keras/layer-types';

export { dropoutMask };

export interface ForwardOptions {
  /** Enables dropout. Default false. */
  training?: boolean;
  /** Required when training a model with dropout: vary it per step (e.g. hash of run seed and step). */
  dropoutSeed?: number;
  /**
   * Global index of this batch's first example. Dropout masks are keyed by (seed, layer, global example),
   * so a batch split over workers draws exactly the masks of the unsplit batch. Default 0.
   */
  exampleOffset?: number;
  /** Keras graphs: non-trainable variables, their updates and the regularizer terms (step-extras.ts). */
  extras?: Pick<LayerContext, 'state' | 'stateUpdates' | 'losses' | 'weightLossScale'>;
  /** Sums a Float32Array over the data-parallel devices, blocking (BatchNormalization's statistics); absent on one device. */
  allReduce?: (data: Float32Array) => void;
}

function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softmax':
      return tf.softmax(x);
  }
}

function param(params: Map<string, tf.Tensor>, path: string): tf.Tensor {
  const t = params.get(path);
  if (t === undefined) throw new Error(`forward: missing parameter "${path}"`);
  return t;
}

function applyDropout(h: tf.Tensor, layer: Extract<ResolvedLayer, { kind: 'dropout' }>, opts: ForwardOptions): tf.Tensor {
  if (!opts.training || layer.rate === 0) return h;
  if (opts.dropoutSeed === undefined) {
    throw new Error(`forward: layer "${layer.name}" is a dropout layer: pass dropoutSeed when training`);
  }
  const batch = h.shape[0];
  const features = h.size / Math.max(batch, 1);
  return tf.mul(
    h,
    dropoutMaskTensor(layer.rate, opts.dropoutSeed, layer.index, opts.exampleOffset ?? 0, batch, features, h.shape),
  );
}

function withBias(y: tf.Tensor, params: Map<string, tf.Tensor>, bias: string | null): tf.Tensor {
  return bias === null ? y : tf.add(y, param(params, bias));
}

/** activation(y + bias); relu with a bias is one fused op (one pass each way on wasm). */
function biasActivate(y: tf.Tensor, params: Map<string, tf.Tensor>, bias: string | null, activation: Activation): tf.Tensor {
  if (activation === 'relu' && bias !== null) return biasRelu(y, param(params, bias));
  return activate(withBias(y, params, bias), activation);
}

function applyLayer(h: tf.Tensor, layer: ResolvedLayer, params: Map<string, tf.Tensor>, opts: ForwardOptions): tf.Tensor {
  switch (layer.kind) {
    case 'dense': {
      // Rank > 2 inputs are flattened (see build.ts).
      const h2 = h.rank === 2 ? (h as tf.Tensor2D) : tf.reshape(h, [h.shape[0], -1]);
      const y = tf.matMul(h2 as tf.Tensor2D, param(params, layer.kernel) as tf.Tensor2D);
      return biasActivate(y, params, layer.bias, layer.activation);
    }
    case 'conv2d': {
      const y = tf.conv2d(h as tf.Tensor4D, param(params, layer.kernel) as tf.Tensor4D, layer.strides, layer.padding);
      return biasActivate(y, params, layer.bias, layer.activation);
    }
    case 'maxPool2d':
      return tf.maxPool(h as tf.Tensor4D, layer.poolSize, layer.strides, layer.padding);
    case 'flatten':
      return tf.reshape(h, [h.shape[0], -1]);
    case 'dropout':
      return applyDropout(h, layer, opts);
    case 'activation':
      return activate(h, layer.activation);
  }
}

/** Model output (logits for softmax_cross_entropy) of shape [batch, ...model.outputShape]. */
export function forward(model: Model, params: Map<string, tf.Tensor>, x: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor {
  return tf.tidy(() => {
    if (model.keras) {
      const { graph } = model.keras;
      const ctx = {
        training: opts.training ?? false,
        dropoutSeed: opts.dropoutSeed,
        exampleOffset: opts.exampleOffset ?? 0,
        state: opts.extras?.state ?? params,
        stateUpdates: opts.extras?.stateUpdates,
        losses: opts.extras?.losses,
        weightLossScale: opts.extras?.weightLossScale,
        allReduce: opts.allReduce,
      };
      return graphOutput(graph, runGraph(graph, params, tf.reshape(x, [-1, ...model.inputShape]), ctx));
    }
    let h: tf.Tensor = tf.reshape(x, [-1, ...model.inputShape]);
    for (let i = 0; i < model.layers.length; i += blockLength(model.layers, i)) h = applyBlock(model.layers, i, h, params, opts);
    return h;
  });
}

/** conv → bias → relu → max-pool runs as one op (one pass each way on wasm; the same values). */
function fusesWithPool(layer: ResolvedLayer, next: ResolvedLayer | undefined): boolean {
  return layer.kind === 'conv2d' && layer.activation === 'relu' && layer.bias !== null && next?.kind === 'maxPool2d';
}

/** Layers the block starting at `i` computes: 2 for a conv fused with its max-pool, else 1. */
export function blockLength(layers: readonly ResolvedLayer[], i: number): number {
  return fusesWithPool(layers[i]!, layers[i + 1]) ? 2 : 1;
}

/**
 * The block of layers starting at `i` (see blockLength) applied to `h`: forward's loop body, also
 * run unit by unit by a fully sharded step (units.ts), so both compute with the very same ops.
 */
export function applyBlock(
  layers: readonly ResolvedLayer[],
  i: number,
  h: tf.Tensor,
  params: Map<string, tf.Tensor>,
  opts: ForwardOptions,
): tf.Tensor {
  const [layer, next] = [layers[i]!, layers[i + 1]];
  if (!fusesWithPool(layer, next)) return applyLayer(h, layer, params, opts);
  const conv = layer as Extract<ResolvedLayer, { kind: 'conv2d' }>;
  const pool = next as Extract<ResolvedLayer, { kind: 'maxPool2d' }>;
  const y = tf.conv2d(h as tf.Tensor4D, param(params, conv.kernel) as tf.Tensor4D, conv.strides, conv.padding);
  return biasReluMaxPool(y, param(params, conv.bias!), pool.poolSize, pool.strides, pool.padding);
}

/**
 * A parameter value: host values (uploaded per call), a tensor already resident on the backend, or a
 * value still on its way (deferred-params.ts).
 */
export type ParamValue = Float32Array | tf.Tensor | DeferredParam;

/**
 * Parameter tensors for forward/backward: Float32Arrays are uploaded (caller disposes them, or call
 * inside tf.tidy); tensors (e.g. tf.Variables kept on the device) are used as they are, never copied.
 * Deferred values are taken now and uploaded, unless `fills` is given and the backend can write a
 * tensor in place: then the tensor is a placeholder and `fills` gets the function that fills it.
 * Uploads are counted on `copies`.
 */
export function paramTensors(
  model: Model,
  values: Map<string, ParamValue>,
  fills?: Map<string, () => void>,
  copies: CopyMeter = defaultContext.copies,
): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  const later = fills !== undefined && writableInPlace();
  for (const p of model.params) {
    const v = values.get(p.path);
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (v === undefined) throw new Error(`missing parameter "${p.path}"`);
    if (isDeferred(v)) {
      if (!later) {
        out.set(p.path, upload(v.take(), p.path, p.shape, copies));
        continue;
      }
      const { tensor, fill } = placeholder(p.shape, v, copies);
      fills!.set(p.path, fill);
      out.set(p.path, tensor);
      continue;
    }
    if (!(v instanceof tf.Tensor)) {
      out.set(p.path, upload(v, p.path, p.shape, copies));
      continue;
    }
    if (v.size !== n) throw new Error(`parameter "${p.path}" has ${v.size} values, shape [${p.shape}] needs ${n}`);
    if (v.shape.join() !== p.shape.join())
      throw new Error(`parameter "${p.path}" has shape [${v.shape}], the model needs [${p.shape}]`);
    out.set(p.path, v);
  }
  return out;
}

function upload(v: Float32Array, path: string, shape: readonly number[], copies: CopyMeter): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (v.length !== n) throw new Error(`parameter "${path}" has ${v.length} values, shape [${shape}] needs ${n}`);
  copies.count('upload', v.byteLength);
  return tf.tensor(v, [...shape], 'float32');
}
