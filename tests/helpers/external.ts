/**
 * Where the tests find what lives outside the repository: the shared fixtures (a `shared/` folder
 * beside the checkout, as CI lays it out) and a Python with Keras 3 (the virtualenv `.ci/run` makes).
 * Each returns a reason instead of a path when the thing is absent, so a test can skip and say why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `shared/` beside the checkout (or two levels up, for a git worktree); $DTRAIN_SHARED wins. */
export function sharedDir(): { dir: string } | { reason: string } {
  const candidates = [process.env.DTRAIN_SHARED, join(REPO_ROOT, '..', 'shared'), join(REPO_ROOT, '..', '..', 'shared')].filter(
    (d): d is string => !!d,
  );
  const dir = candidates.find((d) => existsSync(join(d, 'fixtures')));
  return dir
    ? { dir }
    : { reason: `no shared/fixtures beside the checkout (looked in ${candidates.join(', ')}; set DTRAIN_SHARED)` };
}

/** The Keras 3 fixtures folder, or why it is absent. */
export function keras3Fixtures(): { dir: string } | { reason: string } {
  const shared = sharedDir();
  if ('reason' in shared) return shared;
  const dir = join(shared.dir, 'fixtures', 'keras3');
  return existsSync(dir) ? { dir } : { reason: `${dir} does not exist` };
}

let kerasPython: { python: string; version: string } | { reason: string } | undefined;

/** A python that imports keras 3 with the JAX backend: $DTRAIN_PYTHON, else the repo's .venv. */
export function pythonWithKeras(): { python: string; version: string } | { reason: string } {
  if (kerasPython) return kerasPython;
  const python = process.env.DTRAIN_PYTHON || join(REPO_ROOT, '.venv', 'bin', 'python');
  if (!existsSync(python))
    return (kerasPython = { reason: `no Python with Keras (${python} is absent; .ci/run makes it, or set DTRAIN_PYTHON)` });
  const probe = spawnSync(python, ['-c', 'import keras; print(keras.__version__)'], {
    env: { ...process.env, KERAS_BACKEND: 'jax' },
    encoding: 'utf8',
  });
  if (probe.status !== 0)
    return (kerasPython = { reason: `${python} cannot import keras: ${probe.stderr.trim().split('\n').pop()}` });
  return (kerasPython = { python, version: probe.stdout.trim() });
}

let numpyPython: { python: string } | { reason: string } | undefined;

/** A python that imports numpy ($DTRAIN_PYTHON, the repo's .venv, else python3 on PATH), or why not. */
export function pythonWithNumpy(): { python: string } | { reason: string } {
  if (numpyPython) return numpyPython;
  const candidates = [process.env.DTRAIN_PYTHON, join(REPO_ROOT, '.venv', 'bin', 'python'), 'python3'].filter(
    (p): p is string => !!p,
  );
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import numpy'], { encoding: 'utf8' });
    if (probe.status === 0) return (numpyPython = { python });
  }
  return (numpyPython = {
    reason: `no Python with numpy (tried ${candidates.join(', ')}; .ci/run makes .venv, or set DTRAIN_PYTHON)`,
  });
}
