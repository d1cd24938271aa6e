/** Translators of Dense and Embedding. */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamSpec } from '../parts';
import { activatedShape, activationOf } from './activations';
import { biasRelu } from '../../tfjs/bias-relu';
import { fail, type LayerEntry } from './config';
import { oneInput, param, positiveInt, refuseSet, variable, type Translator } from './layer-types';
import { regularizersOf } from './regularizers';

function kernelAndBias(entry: LayerEntry, kernelShape: number[], units: number): ParamSpec[] {
  const out = [variable(entry, 'kernel', 0, kernelShape, 'kernel_initializer', 'GlorotUniform')];
  if (entry.config.use_bias !== false) out.push(variable(entry, 'bias', 1, [units], 'bias_initializer', 'Zeros'));
  return out;
}

/** Dense acts on the last axis (Keras), whatever the input's rank. */
export const dense: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  refuseSet(entry, ['lora_rank', 'quantization_config']);
  const units = positiveInt(entry, 'units');
  const act = activationOf(entry.config.activation, entry.name);
  const fanIn = inShape[inShape.length - 1]!;
  const params = kernelAndBias(entry, [fanIn, units], units);
  return {
    outShape: activatedShape(act.name, [...inShape.slice(0, -1), units], entry.name),
    params,
    regularizers: regularizersOf(entry, params, { kernel_regularizer: 0, bias_regularizer: 1 }),
    activation: act.name,
    maskUse: 'pass',
    apply: ([x], p) => {
      const flat = tf.reshape(x!, [-1, fanIn]) as tf.Tensor2D;
      let y: tf.Tensor = tf.matMul(flat, param(p, params[0]!.path) as tf.Tensor2D);
      if (params[1] && act.name === 'relu')
        return tf.reshape(biasRelu(y, param(p, params[1].path)), [-1, ...inShape.slice(0, -1), units]);
      if (params[1]) y = tf.add(y, param(p, params[1].path));
      return act.fn(tf.reshape(y, [-1, ...inShape.slice(0, -1), units]));
    },
  };
};

/** Its table's gradient is sparse: ParamSpec.sparse marks it for the worker's exchange. */
export const embedding: Translator = (entry, inShapes) => {
  const inShape = oneInput(entry, inShapes);
  refuseSet(entry, ['lora_rank', 'quantization_config']);
  // Keras 3 saves the mask as a NotEqual op passed to the layers that take it; tf.keras 2.x propagates
  // it implicitly at run time, which this reader does not follow.
  if (entry.config.mask_zero === true && entry.call === null)
    fail(`layer "${entry.name}" (Embedding): mask_zero in a tf.keras 2.x config is not supported (save the model with Keras 3)`);
  const inputDim = positiveInt(entry, 'input_dim');
  const outputDim = positiveInt(entry, 'output_dim');
  const raw = variable(entry, 'embeddings', 0, [inputDim, outputDim], 'embeddings_initializer', 'RandomUniform');
  const regularizers = regularizersOf(entry, [raw], { embeddings_regularizer: 0 });
  // A regularized table has a gradient in every row: dense, as Keras 3 on JAX computes it.
  const table = { ...raw, sparse: regularizers.length === 0 };
  return {
    outShape: [...inShape, outputDim],
    params: [table],
    regularizers,
    ...(table.sparse ? { embedding: { inputDim, table: table.path } } : {}),
    ...(entry.config.mask_zero === true ? { makeMask: ([x]: tf.Tensor[]) => tf.notEqual(x!, 0) } : {}),
    apply: ([x], p, ctx) => {
      const ids = tf.cast(x!, 'int32');
      return ctx.embed && table.sparse ? ctx.embed(entry.name, ids, x!) : tf.gather(param(p, table.path), ids);
    },
  };
};
