/** Fake machines for the doctor: an nvidia-smi script on PATH, library directories of empty files, a project root. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TWO_GPUS_CSV =
  '0, NVIDIA GeForce RTX 3090, 535.104.05, 24576, 1024\n1, NVIDIA A100-SXM4-40GB, 535.104.05, 40960, [N/A]\n';
export const DRIVER_DOWN =
  "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.";

const made: string[] = [];
process.on('exit', () => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dtrain-doctor-${prefix}-`));
  made.push(dir);
  return dir;
}

/** A bin directory holding `nvidia-smi` (printing `csv`, or failing with `failWith`) and an `ldconfig` that knows nothing. */
export function fakeBin(options: { csv?: string; failWith?: string; nvidiaSmi?: boolean } = {}): string {
  const dir = tempDir('bin');
  if (options.nvidiaSmi !== false) {
    const body = options.failWith !== undefined ? `echo "${options.failWith}"\nexit 9` : `cat <<'CSV'\n${options.csv ?? ''}CSV`;
    writeScript(join(dir, 'nvidia-smi'), body);
  }
  writeScript(join(dir, 'ldconfig'), 'exit 0');
  return dir;
}

function writeScript(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** A directory of empty files named like the given libraries. */
export function fakeLibDir(files: readonly string[]): string {
  const dir = tempDir('lib');
  for (const f of files) writeFileSync(join(dir, f), '');
  return dir;
}

/** A project root whose node_modules holds a fake @tensorflow/tfjs-node-gpu with the given index.cjs. */
export function fakeRoot(tfjsNodeGpu: string | null): string {
  const root = tempDir('root');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'dtrain', type: 'module' }));
  if (tfjsNodeGpu !== null) {
    const pkg = join(root, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: '4.22.0', main: 'index.cjs' }),
    );
    writeFileSync(join(pkg, 'index.cjs'), tfjsNodeGpu);
  }
  return root;
}
