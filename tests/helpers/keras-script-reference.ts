/**
 * A live-Keras test's reference: the files a Keras script's `make` writes, made once per script and
 * Keras version and kept (as tests/helpers/keras-cases.ts keeps its cases), and the check of the figures
 * Keras reported against ours.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pythonWithKeras } from './external';

/**
 * The folder holding `script make DIR`'s files, `marker` (a .json, moved in last) among them; made
 * now if missing. A reason instead where Python Keras is absent.
 */
export function scriptReferenceDir(
  script: string,
  folderPrefix: string,
  marker: string,
  env: NodeJS.ProcessEnv,
): { dir: string } | { reason: string } {
  const keras = pythonWithKeras();
  if ('reason' in keras) return keras;
  const key = createHash('sha256').update(readFileSync(script)).update(keras.version).digest('hex').slice(0, 12);
  const dir = join(process.env.DTRAIN_KERAS_CASES_DIR || tmpdir(), `${folderPrefix}-${key}`);
  if (existsSync(join(dir, marker))) return { dir };
  const work = mkdtempSync(join(tmpdir(), `${folderPrefix}-work-`));
  try {
    const r = spawnSync(keras.python, [script, 'make', work], { env, encoding: 'utf8', timeout: 600_000 });
    if (r.status !== 0) throw new Error(`${basename(script)} make failed (${r.status}): ${r.stderr.slice(-3000)}`);
    mkdirSync(dir, { recursive: true });
    // The .json last: its presence says the reference is complete.
    for (const f of readdirSync(work).sort((a) => (a.endsWith('.json') ? 1 : -1))) renameSync(join(work, f), join(dir, f));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { dir };
}

/** Every figure Keras reported at every step, ours within 1e-4 (relative, or absolute below 1e-3). */
export function compareFigures(label: string, ours: Record<string, number>[], keras: Record<string, number>[]): void {
  assert.equal(ours.length, keras.length, `${label}: ${ours.length} steps, Keras ${keras.length}`);
  keras.forEach((want, t) => {
    assert.deepEqual(Object.keys(ours[t]!).sort(), Object.keys(want).sort(), `${label}: figures at step ${t}`);
    for (const [name, k] of Object.entries(want))
      assert.ok(
        Math.abs(ours[t]![name]! - k) <= 1e-4 * Math.max(Math.abs(k), 1e-3),
        `${label}: ${name} at step ${t} is ${ours[t]![name]}, Keras ${k}`,
      );
  });
}
