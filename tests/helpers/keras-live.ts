/** Runs tests/helpers/keras_continue.py with the Keras 3 Python: load an archive, continue on batches. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './external';

export interface KerasVar {
  path: string;
  shape: number[];
  values: number[];
}
export interface KerasState {
  weights: KerasVar[];
  optimizer: KerasVar[];
}
export interface KerasContinuation {
  loaded: KerasState;
  after: KerasState & { losses: number[] };
}

/** Rows as nested lists of one example shape, for numpy. */
export function nest(flatValues: ArrayLike<number>, shape: readonly number[]): unknown {
  if (shape.length === 0) return flatValues[0];
  const [n, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: n! }, (_, i) =>
    rest.length === 0 ? flatValues[i] : nest(Array.prototype.slice.call(flatValues, i * size, (i + 1) * size), rest),
  );
}

export function kerasContinue(
  python: string,
  archive: string,
  batches: { x: unknown; y: unknown }[],
  xDtype = 'float32',
): KerasContinuation {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-keras-'));
  try {
    const request = join(dir, 'request.json');
    writeFileSync(request, JSON.stringify({ archive, batches, x_dtype: xDtype }));
    const r = spawnSync(python, [join(REPO_ROOT, 'tests', 'helpers', 'keras_continue.py'), request], {
      env: { ...process.env, KERAS_BACKEND: 'jax', JAX_PLATFORMS: 'cpu' },
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      timeout: 300_000,
    });
    if (r.status !== 0) throw new Error(`keras_continue.py failed (${r.status}): ${r.stderr.slice(-2000)}`);
    return JSON.parse(r.stdout) as KerasContinuation;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** max |a − b| / max(|b − ref|, floor): how far two continuations differ, relative to how far they moved. */
export function relativeToChange(a: ArrayLike<number>, b: ArrayLike<number>, ref: ArrayLike<number>, floor = 1e-6): number {
  let diff = 0;
  let change = floor;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    change = Math.max(change, Math.abs(b[i]! - ref[i]!));
  }
  return diff / change;
}
