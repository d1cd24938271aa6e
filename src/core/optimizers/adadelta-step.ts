/**
 * Adadelta's update as an apply step (the `update` of the chain): its state is the two slots per
 * tracked variable, and it picks the kernel by storage: the fused in-place kernel for host storage
 * (WASM SIMD when `simd`, else the JS loop), tfjs ops for tensor storage. All give the same bits.
 */
import type { ShardedVariable } from '../variables/sharded-variable';
import type { GradientStep } from './apply-pipeline';
import type { AdadeltaScalars } from './adadelta-rule';
import { adadeltaDenseTensor, adadeltaSparseTensor } from './adadelta-tfjs-kernel';
import type { Grad } from './gradients';
import type { FusedAdadelta } from './kernels/adadelta-fused';

export interface AdadeltaSlots {
  /** `accumulated_grad`, E[g²], one per tracked variable. */
  accumulatedGrads: ShardedVariable[];
  /** `accumulated_delta_var`, E[Δx²], one per tracked variable. */
  accumulatedDeltaVars: ShardedVariable[];
}

export interface AdadeltaSettings {
  rho: number;
  epsilon: number;
  /** jit_compile: the WASM SIMD kernel where the state is in the wasm heap; false: the JS loop. */
  simd: boolean;
  /** The host-storage kernels, with their working memory (the optimizer's own). */
  kernels: FusedAdadelta;
}

export function adadeltaStep(o: AdadeltaSettings): GradientStep<AdadeltaSlots> {
  return {
    name: 'update',
    init: (tracked, add) => ({
      accumulatedGrads: tracked.map((v) => add(v, 'accumulated_grad')),
      accumulatedDeltaVars: tracked.map((v) => add(v, 'accumulated_delta_var')),
    }),
    update(grads, slots, call) {
      const s: AdadeltaScalars = { lr: Math.fround(call.learningRate), rho: o.rho, epsilon: o.epsilon };
      call.vars.forEach((v, i) => {
        const k = call.tracked[i]!;
        updateVariable(v, grads[i]!, slots.accumulatedGrads[k]!, slots.accumulatedDeltaVars[k]!, s, o);
      });
      return grads;
    },
  };
}

/** One variable's update with an already clipped and de-duplicated gradient, by its storage. */
export function updateVariable(
  v: ShardedVariable,
  g: Grad,
  eg: ShardedVariable,
  ed: ShardedVariable,
  s: AdadeltaScalars,
  host: Pick<AdadeltaSettings, 'simd' | 'kernels'>,
): void {
  if (v.localSize === 0) return; // an empty shard (more shards than rows) has nothing to update
  if (v.storage === 'tensor') {
    if (g.kind === 'sparse') adadeltaSparseTensor(v.tensorVariable(), eg.tensorVariable(), ed.tensorVariable(), g.sparse, s);
    else if (g.kind === 'dense-tensor')
      adadeltaDenseTensor(v.tensorVariable(), eg.tensorVariable(), ed.tensorVariable(), g.tensor, s);
    else throw new Error('internal: host gradient for a tensor variable');
    return;
  }
  if (g.kind === 'sparse') {
    const { rows, values, rowSize } = g.sparse;
    host.kernels.sparse(v.hostBuffer(), eg.hostBuffer(), ed.hostBuffer(), rows, values, rowSize, s, { simd: host.simd });
  } else if (g.kind === 'dense-host') {
    host.kernels.dense(v.hostBuffer(), eg.hostBuffer(), ed.hostBuffer(), g.data, s, { simd: host.simd });
  } else {
    throw new Error('internal: tensor gradient for a host variable');
  }
}
