import type { Collectives } from '../collectives/types';
import { isPrimaryReplica } from '../dtensor/shard';
import type { ShardedVariable } from '../variables/sharded-variable';
import { activeClipRule, clipByNormFactors, globalNormScale, transformGrad, type ClipOptions } from './clipping';
import { sumOfSquares, type Grad } from './gradients';
import type { GradientStep } from './apply-pipeline';

/**
 * Keras's _clip_gradients over sharded variables (docs/optimizer-contract.md, "Clipping"). Norms are float64
 * sums of squares of the local shards, all-reduced once per step over the whole mesh, so a sharded run
 * clips like an unsharded one.
 */
export async function clipGradients(
  grads: Grad[],
  vars: readonly ShardedVariable[],
  o: ClipOptions,
  collectives?: Collectives,
): Promise<Grad[]> {
  const rule = activeClipRule(o);
  if (rule === null) return grads;
  if (rule === 'clipvalue') return grads.map((g) => transformGrad(g, { kind: 'clamp', c: o.clipvalue! }));
  const sums = await globalSumsOfSquares(grads, vars, collectives);
  if (rule === 'clipnorm') {
    return grads.map((g, i) => {
      const { mul, div } = clipByNormFactors(sums[i]!, o.clipnorm!, vars[i]!.dtype === 'float32');
      return transformGrad(g, { kind: 'scale', mul, div });
    });
  }
  let total = 0;
  for (const s of sums) total += s;
  return grads.map((g, i) => {
    const scale = globalNormScale(total, o.globalClipnorm!, vars[i]!.dtype === 'float32');
    return transformGrad(g, { kind: 'scale', mul: scale, div: null });
  });
}

/**
 * Per-variable sum of squares over the whole (global) gradient. Each shard is counted once: only the
 * device at coordinate 0 of every mesh dim the layout does not shard over contributes its shard.
 */
async function globalSumsOfSquares(
  grads: Grad[],
  vars: readonly ShardedVariable[],
  collectives?: Collectives,
): Promise<Float64Array> {
  const sums = new Float64Array(grads.length);
  grads.forEach((g, i) => {
    if (isPrimaryReplica(vars[i]!.layout, vars[i]!.deviceId)) sums[i] = sumOfSquares(g);
  });
  if (collectives && collectives.deviceIds.length > 1) await collectives.allReduceSum(sums);
  return sums;
}

/**
 * Clipping as an apply step. It reads the rule from `options` on every call (Keras's clipnorm and the
 * others are settable attributes), so it is always in the chain and passes gradients through when none is set.
 */
export function clipStep(options: ClipOptions, collectives?: Collectives): GradientStep<null> {
  return {
    name: 'clip',
    init: () => null,
    update: (grads, _, call) => clipGradients(grads, call.vars, options, collectives),
  };
}
