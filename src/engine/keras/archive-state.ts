/**
 * The training state inside a `.keras` archive, by the run's names: each parameter's values (found
 * at `layers/<layer>/vars/<index>`) and the optimizer's iteration, learning rate and slots.
 */
import { invalidInput } from '../../shared/errors';
import type { KerasArchive } from './archive';
import type { H5Dataset } from './h5-tree';
import { nameOptimizerVars, optimizerVarOrder, varKey } from './optimizer-order';
import { layerVars, optimizerVars } from './weights-file';

/** A model parameter and where Keras keeps it in the weights file. */
export interface KerasParam {
  path: string;
  shape: number[];
  layer: string;
  index: number;
  /** Keras's dtype when it is not float32 (Normalization's int32 `count`). */
  dtype?: 'int32';
}

export interface KerasOptimizerState {
  /** The optimizer's `iterations` (the schedule's step). */
  iterations: number;
  /** The `learning_rate` variable; null when the learning rate is a schedule. */
  learningRate: number | null;
  /** Slot values by `<slot>/<param path>` (`accumulated_grad/dense/kernel`, `average/dense/bias`). */
  slots: Map<string, Float32Array>;
}

export interface KerasRunState {
  params: Map<string, Float32Array>;
  /** Non-trainable variables (moving statistics), read from their places like the parameters. */
  state: Map<string, Float32Array>;
  /** Null when the archive holds no optimizer variables (saved before the optimizer was built). */
  optimizer: KerasOptimizerState | null;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function floats(d: H5Dataset): Float32Array {
  if (d.data instanceof BigInt64Array) return Float32Array.from(d.data, (v) => Number(v));
  return d.data instanceof Float32Array ? d.data : Float32Array.from(d.data);
}

function scalar(d: H5Dataset): number {
  const v = d.data[0];
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

/**
 * The state of `params` (trainable, in Keras's order), of the non-trainable variables `nonTrainable`
 * and of an optimizer with `optimizerConfig`.
 */
export function archiveState(
  archive: KerasArchive,
  params: readonly KerasParam[],
  optimizerConfig: Record<string, unknown> | null,
  what: string,
  nonTrainable: readonly KerasParam[] = [],
): KerasRunState {
  const layers = layerVars(archive.weights, what);
  const read = (list: readonly KerasParam[]) => {
    const out = new Map<string, Float32Array>();
    for (const p of list) out.set(p.path, variableOf(layers, p, what));
    return out;
  };
  const values = read(params);
  const state = read(nonTrainable);
  const saved = optimizerVars(archive.weights, what);
  if (!saved || !optimizerConfig) return { params: values, state, optimizer: null };

  const full = optimizerVarOrder(optimizerConfig, params);
  // Saved after compile but before any training, Keras's optimizer is unbuilt: only its iteration (and
  // learning rate) are written. Its slots then start fresh, as Keras would build them on the first step.
  const scalars = full.filter((o) => o.kind !== 'slot');
  const order = saved.vars.length === scalars.length ? scalars : full;
  const named = nameOptimizerVars(saved.vars, order, what);
  const slots = new Map<string, Float32Array>();
  for (const o of order) if (o.kind === 'slot') slots.set(varKey(o), floats(named.get(varKey(o))!));
  const iterations = scalar(named.get('iteration')!);
  if (!Number.isSafeInteger(iterations) || iterations < 0)
    throw invalidInput(`${what}: the optimizer's iteration is ${iterations}, not a step count`);
  const lr = named.get('learning_rate');
  return { params: values, state, optimizer: { iterations, learningRate: lr ? Math.fround(scalar(lr)) : null, slots } };
}

function variableOf(layers: ReturnType<typeof layerVars>, p: KerasParam, what: string): Float32Array {
  const d = layers.get(p.layer)?.vars[p.index];
  if (!d) throw invalidInput(`${what}: model.weights.h5 has no layers/${p.layer}/vars/${p.index} for ${p.path}`);
  if (!sameShape(d.shape, p.shape))
    throw invalidInput(
      `${what}: layers/${p.layer}/vars/${p.index} (${p.path}) has shape [${d.shape.join(', ')}], the model needs [${p.shape.join(', ')}]`,
    );
  return floats(d);
}
