/**
 * Float64 truths for the deep architectures (tests/helpers/keras_truth.py): Keras 3 on JAX in float64
 * continuing the same archive over the same batches. Float32 training of these networks at their
 * random initialisation is chaotic, so Keras's own float32 result is not the truth either; dtrain is
 * held to landing no farther from the float64 truth than Keras's float32 does (docs/keras-models.md,
 * "Whole architectures"). The files are made once, beside the case's (keras-cases.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKerasArchive, type KerasArchive } from '../../src/engine/keras/archive';
import { REPO_ROOT, pythonWithKeras } from './external';
import { datasetsOf, noiseAllowances, type KerasCase } from './keras-cases';

const SCRIPT = join(REPO_ROOT, 'tests', 'helpers', 'keras_truth.py');

/** Makes the case's float64 truths unless they are there (minutes for a deep network). */
export function ensureTruth(c: KerasCase): void {
  if (existsSync(join(c.dir, `${c.name}.truth.json`))) return;
  const keras = pythonWithKeras();
  if ('reason' in keras) throw new Error(keras.reason);
  process.stdout.write(`generating the float64 truth of ${c.name} in ${c.dir}\n`);
  const r = spawnSync(keras.python, [SCRIPT, c.dir, c.name], {
    env: { ...process.env, KERAS_BACKEND: 'jax', JAX_PLATFORMS: 'cpu', PYTHONWARNINGS: 'ignore' },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    timeout: 3_600_000,
  });
  if (r.status !== 0) throw new Error(`keras_truth.py failed (${r.status}): ${r.stderr.slice(-3000)}`);
}

export async function readCaseArchive(c: KerasCase, suffix: string): Promise<KerasArchive> {
  const file = join(c.dir, `${c.name}${suffix}`);
  return readKerasArchive(new Uint8Array(readFileSync(file)), file);
}

/** Keras's float32 state after `k` of the case's steps: the case's archive, the step files, its `after`. */
export async function kerasState(c: KerasCase, k: number): Promise<KerasArchive> {
  if (k === 0) return c.before;
  if (k === c.steps) return c.after;
  return readCaseArchive(c, `.f32.step${k}.keras`);
}

/**
 * The case's step `k` alone, from Keras's float32 state after `k` steps (`k` < steps). Its batch comes
 * first and the others follow, unused: a run's dataset then still shows every class the case's does.
 */
export async function oneStepCase(c: KerasCase, k: number): Promise<KerasCase> {
  const suffix = k === 0 ? '.keras' : `.f32.step${k}.keras`;
  const rows = <T extends KerasCase['x']>(a: T): T => {
    const [from, to] = [k, k + 1].map((i) => (i * c.batch * a.values.length) / a.shape[0]!) as [number, number];
    const values = a.values.slice();
    values.set(a.values.subarray(from, to), 0);
    values.set(a.values.subarray(0, from), to - from);
    return { ...a, values };
  };
  const before = k === 0 ? c.before : await readCaseArchive(c, suffix);
  return {
    ...c,
    archivePath: join(c.dir, `${c.name}${suffix}`),
    before,
    after: await kerasState(c, k + 1),
    x: rows(c.x),
    y: rows(c.y),
    losses: [c.losses[k]!],
    steps: 1,
  };
}

export interface TruthDistance {
  /** ‖x − truth‖₂ / ‖truth − start‖₂ over every layer and optimizer variable. */
  relL2: number;
  /** The largest of max|x − truth| / max|truth − start| over the variables, and where. */
  worst: number;
  worstAt: string;
}

const numbers = (d: { data: ArrayLike<number | bigint> }) => Array.from(d.data as ArrayLike<number>, Number);

/** How far each of `candidates` (float32 continuations) lands from the float64 `truth`, relative to the change from `start`. */
export function distancesToTruth(
  c: KerasCase,
  start: KerasArchive,
  truth: KerasArchive,
  candidates: KerasArchive[],
): TruthDistance[] {
  const [from, exact] = [start, truth].map((a) => datasetsOf(a.weights));
  // Variables whose exact gradient is zero (a conv bias before BatchNormalization) move by rounding
  // only; a ratio to their change means nothing (keras-cases.ts noiseAllowances): left out of `worst`.
  const noiseLevel = noiseAllowances(c.after, c.before, c.x.shape.slice(1));
  const sets = candidates.map((a) => datasetsOf(a.weights));
  let changeSq = 0;
  const errSq = candidates.map(() => 0);
  const worst = candidates.map(() => ({ worst: 0, worstAt: '' }));
  for (const [path, t] of exact!) {
    if (!path.startsWith('layers/') && !path.startsWith('optimizer/vars/')) continue;
    const [tv, sv] = [numbers(t), numbers(from!.get(path) ?? t)];
    let change = 0;
    for (let i = 0; i < tv.length; i++) {
      const d = tv[i]! - sv[i]!;
      changeSq += d * d;
      change = Math.max(change, Math.abs(d));
    }
    sets.forEach((set, j) => {
      const cv = numbers(set.get(path) ?? assert(path));
      let far = 0;
      for (let i = 0; i < tv.length; i++) {
        const d = cv[i]! - tv[i]!;
        errSq[j] += d * d;
        far = Math.max(far, Math.abs(d));
      }
      // A variable the step leaves in place (an untrained layer's) has no change to measure against.
      if (noiseLevel.of(path) === null && change > 0 && far / change > worst[j]!.worst)
        worst[j] = { worst: far / change, worstAt: path };
    });
  }
  return errSq.map((e, j) => ({ relL2: Math.sqrt(e / changeSq), ...worst[j]! }));
}

function assert(path: string): never {
  throw new Error(`an archive has no ${path}`);
}
