/**
 * The gradient of Relu through the one-pass ReluGrad kernel where the backend has it (wasm with the
 * project kernels), else tfjs's own formula dy · float(step(x)); both give the same values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, type GradConfig } from '@tensorflow/tfjs-core';
import { RELU_GRAD } from './kernels/relu-grad';

function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const fused = dy.dtype === 'float32' && x.dtype === 'float32' && getKernel(RELU_GRAD, tf.getBackend()) !== undefined;
  if (fused) return tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor;
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

export const reluGradientConfig: GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    return { x: () => reluGrad(dy as tf.Tensor, x) };
  },
};

/** ReluGrad is linear in dy (second derivatives through a relu, e.g. a gradient penalty); step(x) is flat. */
export const reluGradGradientConfig: GradConfig = {
  kernelName: RELU_GRAD,
  inputsToSave: ['x'],
  gradFunc: (ddx, saved) => {
    const [x] = saved;
    return { dy: () => reluGrad(ddx as tf.Tensor, x), x: () => tf.zerosLike(x) };
  },
};
