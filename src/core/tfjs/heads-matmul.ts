/**
 * headsMatMul(a, b): op(A)·op(B) for every (batch, head) of two 4-D tensors, each operand and the
 * output in the layout it is used in: 'byRow' [batch, rows, heads, cols] — a projection x·W reshaped,
 * and what the attention's output projection reads — or 'byHead' [batch, heads, rows, cols] — the
 * logits and probabilities. The attention's q·kᵀ and probabilities·v need no Transpose around them
 * then. On wasm with the native addon it is one kernel reading every layout in place
 * (kernels/heads-matmul.ts); elsewhere the 'byRow' operands are transposed to 'byHead' and tfjs's
 * batched matMul runs, the same products. Its gradient is two more headsMatMuls, each in its operand's
 * layout (registered in gradients.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernel, type GradConfig, type NamedAttrMap } from '@tensorflow/tfjs-core';
import { HEADS_MATMUL, type HeadsLayout, type HeadsMatMulAttrs } from './kernels/heads-matmul';

export type { HeadsLayout, HeadsMatMulAttrs } from './kernels/heads-matmul';

const SWAP_MIDDLE = [0, 2, 1, 3];
const asByHead = (x: tf.Tensor, layout: HeadsLayout) => (layout === 'byHead' ? x : tf.transpose(x, SWAP_MIDDLE));

export function headsMatMul(a: tf.Tensor, b: tf.Tensor, attrs: HeadsMatMulAttrs): tf.Tensor {
  if (a.dtype === 'float32' && b.dtype === 'float32' && getKernel(HEADS_MATMUL, tf.getBackend()) !== undefined)
    return tf.engine().runKernel(HEADS_MATMUL, { a, b }, attrs as unknown as NamedAttrMap) as tf.Tensor;
  const product = tf.matMul(asByHead(a, attrs.layoutA), asByHead(b, attrs.layoutB), attrs.transposeA, attrs.transposeB);
  return attrs.layoutOut === 'byHead' ? product : tf.transpose(product, SWAP_MIDDLE);
}

/** C = op(A)·op(B): tfjs's four BatchMatMul gradient cases, each result in its operand's layout. */
export const headsMatMulGradConfig: GradConfig = {
  kernelName: HEADS_MATMUL,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const { transposeA, transposeB, layoutA: la, layoutB: lb, layoutOut: lo } = attrs as unknown as HeadsMatMulAttrs;
    const d = dy as tf.Tensor;
    const mm = (x: tf.Tensor, lx: HeadsLayout, y: tf.Tensor, ly: HeadsLayout, tx: boolean, ty: boolean, out: HeadsLayout) =>
      headsMatMul(x, y, { transposeA: tx, transposeB: ty, layoutA: lx, layoutB: ly, layoutOut: out });
    if (!transposeA && !transposeB)
      return { a: () => mm(d, lo, b, lb, false, true, la), b: () => mm(a, la, d, lo, true, false, lb) };
    if (!transposeA) return { a: () => mm(d, lo, b, lb, false, false, la), b: () => mm(d, lo, a, la, true, false, lb) };
    if (!transposeB) return { a: () => mm(b, lb, d, lo, false, true, la), b: () => mm(a, la, d, lo, false, false, lb) };
    return { a: () => mm(b, lb, d, lo, true, true, la), b: () => mm(d, lo, a, la, true, true, lb) };
  },
};
