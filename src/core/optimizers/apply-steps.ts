/** The two apply steps that have no module of their own: loss-scale undoing and sparse de-duplication. */
import type { GradientStep } from './apply-pipeline';
import { transformGrad } from './clipping';
import { deduplicateSparse } from './indexed-slices';

/** g / loss_scale_factor, in each gradient's dtype (first, before accumulation and clipping, as Keras 3). */
export function unscaleStep(lossScaleFactor: number): GradientStep<null> {
  return {
    name: 'unscale',
    init: () => null,
    update: (grads, _, call) =>
      grads.map((g, i) => {
        const div = call.vars[i]!.dtype === 'float32' ? Math.fround(lossScaleFactor) : lossScaleFactor;
        return transformGrad(g, { kind: 'scale', mul: 1, div });
      }),
  };
}

/** Keras's sparse de-duplication: repeated rows summed, in order of first appearance; dense gradients pass. */
export function dedupeStep(): GradientStep<null> {
  return {
    name: 'dedupe',
    init: () => null,
    update: (grads) => grads.map((g) => (g.kind === 'sparse' ? { kind: 'sparse', sparse: deduplicateSparse(g.sparse) } : g)),
  };
}
