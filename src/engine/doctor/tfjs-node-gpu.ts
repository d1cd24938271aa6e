/**
 * Is @tensorflow/tfjs-node-gpu installed, and does it load? Loaded in a fresh Node process (as a worker
 * would), so a broken native build cannot take the caller down, and with TensorFlow's warnings on, so its
 * own "Could not load dynamic library" lines say which CUDA/cuDNN library it missed.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TfjsNodeGpuProbe } from '../../shared/doctor';

const PACKAGE = '@tensorflow/tfjs-node-gpu';

// Runs in the child: import as the worker does (dynamic import from the project), report as one JSON line.
const CHILD = `
try {
  const m = await import(${JSON.stringify(PACKAGE)});
  const tf = m.default ?? m;
  let usesGpu = null;
  try { usesGpu = typeof tf.backend().isUsingGpuDevice === 'boolean' ? tf.backend().isUsingGpuDevice : null; } catch {}
  console.log(JSON.stringify({ loads: true, usesGpu }));
} catch (e) {
  console.log(JSON.stringify({ loads: false, error: String((e && e.message) || e).split('\\n')[0] }));
}`;

export async function probeTfjsNodeGpu(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 90_000,
): Promise<TfjsNodeGpuProbe> {
  const version = installedVersion(root);
  const base = { installed: version !== null, version, loads: false, error: null, usesGpu: null, failedLibraries: [] };
  if (version === null) return { ...base, error: `${PACKAGE} is not installed` };
  // Inside Electron, process.execPath is the Electron binary: ELECTRON_RUN_AS_NODE makes it plain Node.
  const childEnv = { ...env, TF_CPP_MIN_LOG_LEVEL: '0', ...(process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {}) };
  const { stdout, stderr, error } = await new Promise<{ stdout: string; stderr: string; error: Error | null }>((resolve) =>
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CHILD],
      { cwd: root, env: childEnv, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, out, errOut) => resolve({ stdout: out, stderr: errOut, error: err }),
    ),
  );
  const failedLibraries = [...new Set([...stderr.matchAll(/Could not load dynamic library '([^']+)'/g)].map((m) => m[1]!))];
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) {
    const why =
      error?.message.includes('ETIMEDOUT') || (error as { killed?: boolean } | null)?.killed
        ? `timed out after ${timeoutMs / 1000} s`
        : (lastLine(stderr) ?? error?.message ?? 'no answer');
    return { ...base, error: `loading ${PACKAGE} crashed the process: ${why}`, failedLibraries };
  }
  const answer = JSON.parse(line) as { loads: boolean; error?: string; usesGpu?: boolean | null };
  return { ...base, loads: answer.loads, error: answer.error ?? null, usesGpu: answer.usesGpu ?? null, failedLibraries };
}

function installedVersion(root: string): string | null {
  try {
    const path = createRequire(join(root, 'package.json')).resolve(`${PACKAGE}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

function lastLine(text: string): string | null {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? null
  );
}
