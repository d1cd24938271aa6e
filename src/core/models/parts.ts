/**
 * The parts a model is made of, below everything that builds or runs one: parameters (with their
 * initializers), the layers of a JSON-spec model, and labels. Keras translation (keras/) uses them and
 * never the model type above it (model.ts), so keras/ and the builders form no cycle.
 */
import type { Activation, Padding } from './spec';

/** A batch's labels: class indices (int32) or float targets. */
export type Labels = Float32Array | Int32Array;

export type ParamInit =
  | { kind: 'glorot_uniform'; fanIn: number; fanOut: number }
  | { kind: 'zeros' }
  | { kind: 'constant'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'normal'; mean: number; stddev: number; truncated: boolean }
  /** Keras's Orthogonal: the Q of a QR of a normal matrix (signs fixed by R's diagonal), times gain. */
  | { kind: 'orthogonal'; gain: number }
  /** Given values (a Normalization layer's mean and variance from its config), repeated to fill the shape. */
  | { kind: 'values'; values: number[] };

export interface ParamSpec {
  path: string;
  shape: number[];
  init: ParamInit;
  /**
   * Keras models: where the variable lives in model.weights.h5, `layers/<layer>/vars/<index>`; `layer` is
   * Keras's class-based key path (`dense_1`, `lstm/cell`, `sequential/layers/dense`).
   */
  h5?: { layer: string; index: number };
  /** Keras stores it as int32 (Normalization's `count`); values are float32 here, exported as Keras's dtype. */
  dtype?: 'int32';
  /** Its gradient is sparse (an Embedding table): rows of the batch's ids, as IndexedSlices. */
  sparse?: boolean;
}

interface LayerBase {
  name: string;
  inShape: number[];
  outShape: number[];
}
export type ResolvedLayer = LayerBase &
  (
    | { kind: 'dense'; units: number; activation: Activation; kernel: string; bias: string | null }
    | {
        kind: 'conv2d';
        filters: number;
        kernelSize: [number, number];
        strides: [number, number];
        padding: Padding;
        activation: Activation;
        kernel: string;
        bias: string | null;
      }
    | { kind: 'maxPool2d'; poolSize: [number, number]; strides: [number, number]; padding: Padding }
    | { kind: 'flatten' }
    | { kind: 'dropout'; rate: number; index: number }
    | { kind: 'activation'; activation: Activation }
  );
