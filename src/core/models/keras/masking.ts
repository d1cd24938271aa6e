/**
 * Keras's masks (an Embedding with mask_zero) as Keras 3 runs them, on JAX too: a mask rides along with
 * each tensor at run time (keras/src/backend/common/masking.py keeps it in a table by tensor), every
 * layer that supports masking passes its input's mask on or computes a new one, and a layer whose call
 * takes `mask` (or `query_mask`, `value_mask`) receives it — or the one the saved call passes as a keyword.
 * A layer that does not support masking drops it; so does a keras.ops call.
 *
 * - 'pass': output mask = its first input's (Dense, activations, Dropout, LayerNormalization, …);
 * - 'merge': the AND of its inputs' masks (Add, Multiply, …);
 * - 'concat': Concatenate's: the OR of its inputs' masks, none when an input has none (an all-true mask);
 * - 'consume': reads it and outputs none (GlobalAveragePooling1D, an RNN returning its last output);
 * - 'sequence': reads it and passes it on (an RNN returning sequences, MultiHeadAttention's query).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MODEL_CLASSES, fail } from './config';

export type MaskUse = 'pass' | 'merge' | 'concat' | 'consume' | 'sequence';

interface Masked {
  name: string;
  className: string;
  inbound: string[];
  maskUse?: MaskUse;
  makeMask?: unknown;
}

/** Whether a node's output has a mask, given which of its inputs have one. */
export function outputMasked(node: Masked, masked: Set<string>): boolean {
  if (node.makeMask) return true;
  const any = node.inbound.some((n) => masked.has(n));
  // A nested model's entry with several outputs (read-model.ts) would have to pass one mask per output.
  if (any && MODEL_CLASSES.has(node.className) && node.inbound.length > 1)
    fail(
      `nested model "${node.name}" has several outputs and one of them carries a mask (from an Embedding with mask_zero): not supported (pool or reduce the sequence inside it)`,
    );
  if (node.maskUse === 'merge') return any;
  if (node.maskUse === 'concat') return node.inbound.every((n) => masked.has(n));
  if (node.maskUse === 'pass' || node.maskUse === 'sequence') return masked.has(node.inbound[0] ?? '');
  return false;
}

/** The mask of a node's output at run time (null: none). */
export function outputMask(
  node: { maskUse?: MaskUse; makeMask?: (inputs: tf.Tensor[]) => tf.Tensor },
  inputs: tf.Tensor[],
  inMasks: (tf.Tensor | null)[],
): tf.Tensor | null {
  if (node.makeMask) return node.makeMask(inputs);
  if (node.maskUse === 'pass' || node.maskUse === 'sequence') return inMasks[0] ?? null;
  const present = inMasks.filter((m): m is tf.Tensor => m !== null).map((m) => tf.cast(m, 'bool'));
  if (node.maskUse === 'concat') return present.length === inMasks.length ? present.reduce((a, b) => tf.logicalOr(a, b)) : null;
  if (node.maskUse !== 'merge') return null;
  return present.length === 0 ? null : present.reduce((a, b) => tf.logicalAnd(a, b));
}

/** A model whose output carries a mask: Keras would weight its loss by it, which this trainer does not do. */
export function refuseMaskedOutput(model: string, output: string, masked: Set<string>): void {
  if (masked.has(output))
    fail(
      `model "${model}": its output "${output}" carries a mask (from an Embedding with mask_zero), which Keras applies to the loss: not supported (pool or reduce the sequence first)`,
    );
}

/** The mask a layer reads: the keyword tensor its saved call passes (slot), else its input's propagated mask. */
export function maskFor(
  inputs: tf.Tensor[],
  masks: (tf.Tensor | null)[] | undefined,
  slot: number | null,
  input: number,
): tf.Tensor | null {
  if (slot !== null) return inputs[slot]!;
  return masks?.[input] ?? null;
}
