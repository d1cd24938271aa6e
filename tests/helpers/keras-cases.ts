/**
 * Live Keras references for the layer and architecture tests: tests/helpers/keras_cases.py builds each
 * case in Keras 3 (JAX backend), trains it, and writes the archive at save, the archive Keras reached
 * after more steps, the batches of those steps and Keras's losses. Generating takes seconds per case
 * (JAX compiles each model), so the files are kept in a folder keyed by the script's and Keras's
 * versions ($DTRAIN_KERAS_CASES_DIR, else under the OS temp folder) and made once.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { decodeNpz } from '../../src/core/data/index';
import { readKerasArchive, type KerasArchive } from '../../src/engine/keras/archive';
import type { H5Group, H5Node } from '../../src/engine/keras/h5-tree';
import { REPO_ROOT, pythonWithKeras } from './external';
import { buildKerasModel } from '../../src/core/models/index';

const SCRIPT = join(REPO_ROOT, 'tests', 'helpers', 'keras_cases.py');

export interface KerasCase {
  name: string;
  dir: string;
  archivePath: string;
  before: KerasArchive;
  after: KerasArchive;
  x: { values: Float32Array | Int32Array; shape: number[]; dtype: string };
  y: { values: Float32Array | Int32Array; shape: number[]; dtype: string };
  losses: number[];
  batch: number;
  steps: number;
}

/** The folder holding the references of `names` (made now for those missing), or why there is none. */
export function kerasCaseDir(names: string[]): { dir: string } | { reason: string } {
  const keras = pythonWithKeras();
  if ('reason' in keras) return keras;
  const key = createHash('sha256').update(readFileSync(SCRIPT)).update(keras.version).digest('hex').slice(0, 12);
  const dir = process.env.DTRAIN_KERAS_CASES_DIR || join(tmpdir(), `dtrain-keras-cases-${key}`);
  mkdirSync(dir, { recursive: true });
  const missing = names.filter((n) => !existsSync(join(dir, `${n}.json`)));
  if (missing.length === 0) return { dir };
  // Made in a private folder and moved in whole: parallel test files may ask for the same cases.
  const work = mkdtempSync(join(tmpdir(), 'dtrain-keras-cases-work-'));
  try {
    process.stdout.write(`generating Keras references (${missing.join(', ')}) in ${dir}\n`);
    const r = spawnSync(keras.python, [SCRIPT, work, ...missing], {
      env: { ...process.env, KERAS_BACKEND: 'jax', JAX_PLATFORMS: 'cpu', PYTHONWARNINGS: 'ignore' },
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      timeout: 3_600_000,
    });
    if (r.status !== 0) throw new Error(`keras_cases.py failed (${r.status}): ${r.stderr.slice(-3000)}`);
    // The .json last: its presence says the case is complete.
    const files = readdirSync(work).sort((a, b) => Number(a.endsWith('.json')) - Number(b.endsWith('.json')));
    for (const f of files) renameSync(join(work, f), join(dir, f));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { dir };
}

export async function loadKerasCase(dir: string, name: string): Promise<KerasCase> {
  const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { batch: number; steps: number };
  const arrays = decodeNpz(new Uint8Array(readFileSync(join(dir, `${name}.npz`))));
  const get = (k: string) => {
    const a = (arrays.get(k) ?? assert.fail(`${name}.npz has no ${k}`))();
    return { values: a.data as Float32Array | Int32Array, shape: [...a.shape], dtype: String(a.dtype) };
  };
  const archivePath = join(dir, `${name}.keras`);
  const read = (f: string) => readKerasArchive(new Uint8Array(readFileSync(join(dir, f))), f);
  return {
    name,
    dir,
    archivePath,
    before: await read(`${name}.keras`),
    after: await read(`${name}.after.keras`),
    x: get('x'),
    y: get('y'),
    losses: Array.from(get('losses').values, Number),
    batch: meta.batch,
    steps: meta.steps,
  };
}

/** Every dataset of an h5 tree by path (`layers/dense/vars/0`, `optimizer/vars/3`). */
export function datasetsOf(g: H5Group, prefix = ''): Map<string, H5Node & { kind: 'dataset' }> {
  const out = new Map<string, H5Node & { kind: 'dataset' }>();
  for (const [k, child] of g.children) {
    const path = prefix ? `${prefix}/${k}` : k;
    if (child.kind === 'dataset') out.set(path, child);
    else for (const [p, d] of datasetsOf(child, path)) out.set(p, d);
  }
  return out;
}

const numbers = (d: { data: ArrayLike<number | bigint> }) => Array.from(d.data as ArrayLike<number>, Number);

export interface ArchiveComparison {
  /** Worst |ours − Keras| / Keras's change, by path (noise-level variables excluded). */
  worst: Map<string, number>;
  /** Variables Keras moved by float noise only (a gradient that is zero in exact arithmetic). */
  noise: string[];
}

/**
 * `ours` (an exported archive) holds every variable Keras's `after` does, at the same place and shape,
 * within `rtol` of how far Keras moved it from `before` (plus float32 rounding of its magnitude).
 *
 * A variable whose exact gradient is zero (a conv bias before BatchNormalization, a β whose shift the
 * next BatchNormalization removes) moves only by the float32 noise of its gradient, in Keras as here;
 * its "change" is noise and a ratio to it means nothing. Such a variable — moved less than 1% of the
 * median change of the model's variables — must instead stay within 1% of that median of Keras's value
 * (its optimizer slots, which accumulate squares, within the square of that).
 */
export function compareArchives(
  label: string,
  ours: KerasArchive,
  after: KerasArchive,
  before: KerasArchive,
  inputShape?: number[],
  rtol = 1e-4,
): ArchiveComparison {
  const mine = datasetsOf(ours.weights);
  const theirs = datasetsOf(after.weights);
  const paths = [...theirs.keys()].filter((p) => p.startsWith('layers/') || p.startsWith('optimizer/'));
  const allowance = noiseAllowances(after, before, inputShape);
  const worst = new Map<string, number>();
  const noise: string[] = [];
  for (const path of paths) {
    const want = theirs.get(path)!;
    const got = mine.get(path) ?? assert.fail(`${label}: our archive has no ${path} (Keras's shape [${want.shape}])`);
    assert.deepEqual(got.shape, want.shape, `${label}: ${path} shape`);
    const [g, w] = [numbers(got), numbers(want)];
    const change = allowance.change(path);
    const scale = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const noiseTol = allowance.of(path);
    const isNoise = noiseTol !== null;
    if (isNoise) noise.push(path);
    const tol = noiseTol ?? rtol * change + 4e-7 * scale + 1e-30;
    let bad = 0;
    let at = 0;
    for (let i = 0; i < w.length; i++) {
      const d = Math.abs(g[i]! - w[i]!);
      if (d > bad) [bad, at] = [d, i];
    }
    if (!isNoise) worst.set(path, change > 0 ? bad / change : bad);
    assert.ok(
      bad <= tol,
      `${label}: ${path}[${at}] is ${g[at]}, Keras ${w[at]} (off by ${bad.toExponential(3)}, ${(bad / Math.max(change, 1e-30)).toExponential(2)} of Keras's change ${change.toExponential(3)}${isNoise ? `; a noise-level variable, allowed ${tol.toExponential(2)}` : ''})`,
    );
  }
  return { worst, noise };
}

/**
 * Which variables of a Keras continuation moved by float noise only (moved less than 1% of the median
 * change of the model's layer variables: a zero exact gradient) and what they are allowed: 1% of the
 * median; their Adadelta slots (optimizer/vars/2+2k, 3+2k for trainable variable k), which accumulate
 * squares, the square of that.
 */
export function noiseAllowances(after: KerasArchive, before: KerasArchive, inputShape?: number[]) {
  const theirs = datasetsOf(after.weights);
  const start = datasetsOf(before.weights);
  const changes = new Map<string, number>();
  for (const [path, d] of theirs) {
    const [w, b] = [numbers(d), numbers(start.get(path) ?? d)];
    changes.set(
      path,
      w.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0),
    );
  }
  const moved = [...changes]
    .filter(([p, c]) => p.startsWith('layers/') && c > 0)
    .map(([, c]) => c)
    .sort((a, b) => a - b);
  const floor = 0.01 * (moved[Math.floor(moved.length / 2)] ?? 0);
  const trainable = buildKerasModel(after.config, undefined, inputShape).params.map(
    (p) => `layers/${p.h5!.layer}/vars/${p.h5!.index}`,
  );
  const owner = (path: string) => {
    const m = /^optimizer\/vars\/(\d+)$/.exec(path);
    return m ? (Number(m[1]) >= 2 ? trainable[Math.floor((Number(m[1]) - 2) / 2)] : undefined) : path;
  };
  return {
    change: (path: string) => changes.get(path) ?? 0,
    /** The allowance of a noise-level variable or slot; null for the others. */
    of(path: string): number | null {
      const own = owner(path);
      const c = own === undefined ? 0 : (changes.get(own) ?? 0);
      if (!(c > 0 && c < floor)) return null;
      return path.startsWith('layers/') ? floor : floor ** 2;
    },
  };
}

export function compareLosses(label: string, ours: number[], keras: number[], rtol = 1e-4): void {
  assert.equal(ours.length, keras.length, `${label}: ${ours.length} losses, Keras has ${keras.length}`);
  keras.forEach((k, i) =>
    assert.ok(
      Math.abs(ours[i]! - k) <= rtol * Math.max(Math.abs(k), 1e-3),
      `${label}: loss at step ${i} is ${ours[i]}, Keras ${k}`,
    ),
  );
}

export interface LoadCheck {
  loaded_equal: boolean;
  loss_ours: number;
  loss_keras: number;
  worst_vs_step_change: number;
  noise_vs_floor: number;
}

/**
 * Keras 3 loads each archive dtrain exported and trains one more step on the case's first batch, beside
 * Keras's own archive (tests/helpers/keras_load_check.py): one Python process for all pairs.
 */
export function kerasLoadCheck(pairs: { ours: string; theirs: string; data: string }[]): LoadCheck[] {
  const keras = pythonWithKeras();
  if ('reason' in keras) throw new Error(keras.reason);
  const work = mkdtempSync(join(tmpdir(), 'dtrain-load-check-'));
  try {
    const request = join(work, 'request.json');
    writeFileSync(request, JSON.stringify(pairs));
    const r = spawnSync(keras.python, [join(REPO_ROOT, 'tests', 'helpers', 'keras_load_check.py'), request], {
      env: { ...process.env, KERAS_BACKEND: 'jax', JAX_PLATFORMS: 'cpu', PYTHONWARNINGS: 'ignore' },
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      timeout: 3_600_000,
    });
    if (r.status !== 0) throw new Error(`keras_load_check.py failed (${r.status}): ${r.stderr.slice(-3000)}`);
    return JSON.parse(r.stdout) as LoadCheck[];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
