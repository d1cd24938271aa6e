/**
 * The order of a Keras 3 optimizer's variables (`optimizer/vars/<i>`), from its config and the
 * model's trainable variables: `iteration`; `learning_rate` unless it is a schedule; with `use_ema`
 * one `average` per variable; with `gradient_accumulation_steps` one `gradient_accumulator` per
 * variable; then Adadelta's `accumulated_grad`, `accumulated_delta_var` pair per variable.
 */
import { invalidInput } from '../../shared/errors';
import type { H5Dataset } from './h5-tree';

export type OptimizerVarKind =
  | { kind: 'iteration' }
  | { kind: 'learning_rate' }
  | {
      kind: 'slot';
      slot: 'average' | 'gradient_accumulator' | 'accumulated_grad' | 'accumulated_delta_var';
      param: string;
      shape: number[];
    };

export interface TrainableVar {
  /** The run's parameter path (`dense/kernel`). */
  path: string;
  shape: number[];
}

export const isSchedule = (lr: unknown): boolean => typeof lr === 'object' && lr !== null;

/** Keras's order of the optimizer variables for `config` over `params` (trainable, in model order). */
export function optimizerVarOrder(config: Record<string, unknown>, params: readonly TrainableVar[]): OptimizerVarKind[] {
  const out: OptimizerVarKind[] = [{ kind: 'iteration' }];
  if (!isSchedule(config.learning_rate)) out.push({ kind: 'learning_rate' });
  const each = (slot: 'average' | 'gradient_accumulator') =>
    params.forEach((p) => out.push({ kind: 'slot', slot, param: p.path, shape: p.shape }));
  if (config.use_ema) each('average');
  if (typeof config.gradient_accumulation_steps === 'number' && config.gradient_accumulation_steps > 0)
    each('gradient_accumulator');
  for (const p of params) {
    out.push({ kind: 'slot', slot: 'accumulated_grad', param: p.path, shape: p.shape });
    out.push({ kind: 'slot', slot: 'accumulated_delta_var', param: p.path, shape: p.shape });
  }
  return out;
}

/** A readable name for one entry (`iteration`, `accumulated_grad/dense/kernel`). */
export const varKey = (v: OptimizerVarKind): string => (v.kind === 'slot' ? `${v.slot}/${v.param}` : v.kind);

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The archive's optimizer variables by `varKey`, checked against the expected order and shapes. */
export function nameOptimizerVars(
  vars: readonly H5Dataset[],
  order: readonly OptimizerVarKind[],
  what: string,
): Map<string, H5Dataset> {
  if (vars.length !== order.length) {
    throw invalidInput(
      `${what}: the optimizer has ${vars.length} saved variables, its config and the model's ${order.filter((o) => o.kind === 'slot' && o.slot === 'accumulated_grad').length} trainable variables need ${order.length}`,
    );
  }
  const out = new Map<string, H5Dataset>();
  order.forEach((o, i) => {
    const v = vars[i]!;
    const shape = o.kind === 'slot' ? o.shape : [];
    if (!sameShape(v.shape, shape))
      throw invalidInput(
        `${what}: optimizer/vars/${i} (${varKey(o)}) has shape [${v.shape.join(', ')}], expected [${shape.join(', ')}]`,
      );
    out.set(varKey(o), v);
  });
  return out;
}

/** A checkpoint path of a slot (`optimizer/<scope>/<slot>/<param>`) split into slot and parameter. */
export function parseSlotPath(path: string): { slot: string; param: string } | null {
  const m = /^optimizer\/[^/]+\/([^/]+)\/(.+)$/.exec(path);
  return m ? { slot: m[1]!, param: m[2]! } : null;
}
