/**
 * The dropout mask as a tensor: made on the wasm heap by the DropoutMask kernel where it is registered,
 * else core/models/dropout.ts's array uploaded. The same values either way.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';
import { dropoutMask, keepThreshold } from '../random/dropout-mask';
import { streamKey } from '../random/counter';
import { DROPOUT_MASK } from './kernels/dropout-mask';

/** dropoutMask(rate, seed, layerIndex, offset, batch, features) shaped as `shape` (batch · features values). */
export function dropoutMaskTensor(
  rate: number,
  seed: number,
  layerIndex: number,
  offset: number,
  batch: number,
  features: number,
  shape: number[],
): tf.Tensor {
  if (getKernel(DROPOUT_MASK, tf.getBackend()) === undefined)
    return tf.tensor(dropoutMask(rate, seed, layerIndex, offset, batch, features), shape, 'float32');
  const attrs = {
    key: streamKey(seed, layerIndex),
    start: offset * features,
    size: batch * features,
    threshold: keepThreshold(rate),
    scale: 1 / (1 - rate),
    shape,
  };
  return tf.engine().runKernel(DROPOUT_MASK, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
