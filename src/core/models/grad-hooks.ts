/**
 * Gradient hooks: each parameter's gradient handed over the moment backward has completed it, while
 * the rest of backward still runs, so a worker can start sending it (PyTorch DDP's autograd hooks).
 *
 * How: on its first use in forward, a parameter passes through an identity whose gradient function
 * calls `ready`. tfjs back-propagates through its tape in reverse recording order, and every use of
 * the identity's output was recorded after the identity, so when its gradient function runs, the
 * contributions of all uses have been summed: that is the parameter's whole gradient. Hooks fire in
 * reverse order of first use (the last layer's parameters first). The identity passes the gradient
 * through unchanged, so the numbers are those of an unhooked backward, bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Called once per used parameter with its complete gradient (valid only during the call). */
export type GradReady = (path: string, grad: tf.Tensor) => void;

/**
 * `params` as forward reads them, each wrapped in its hook on first `get` (a parameter forward never
 * reads gets no hook and no call). `fills`: placeholders filled on first `get`, before any kernel
 * reads them (deferred-params.ts). Call inside the function being differentiated.
 */
export function hookedParams(
  params: Map<string, tf.Tensor>,
  ready: GradReady,
  fills?: Map<string, () => void>,
): Map<string, tf.Tensor> {
  return new HookedParams(params, ready, fills);
}

class HookedParams extends Map<string, tf.Tensor> {
  private readonly hooked = new Map<string, tf.Tensor>();

  constructor(
    params: Map<string, tf.Tensor>,
    private readonly ready: GradReady,
    private readonly fills: Map<string, () => void> | undefined,
  ) {
    super(params);
  }

  override get(path: string): tf.Tensor | undefined {
    const done = this.hooked.get(path);
    if (done) return done;
    const raw = super.get(path);
    if (raw === undefined) return undefined;
    const fill = this.fills?.get(path);
    if (fill) (this.fills!.delete(path), fill());
    const ready = this.ready;
    const withHook = tf.customGrad((...args) => ({
      value: tf.clone(args[0] as tf.Tensor),
      // A clone, not dy itself: the engine owns dy and may dispose it once this node is done.
      gradFunc: (dy: tf.Tensor) => (ready(path, dy), tf.clone(dy)),
    }));
    const t = withHook(raw);
    this.hooked.set(path, t);
    return t;
  }
}
