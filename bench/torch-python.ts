// The python the PyTorch peers (bench/peers/torch_*.py) run with.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A python that imports torch: $DTRAIN_TORCH_PYTHON, Debian's python3-torch, or the repo's .venv. */
export function torchPython(): { python: string } | { reason: string } {
  const candidates = [
    process.env.DTRAIN_TORCH_PYTHON,
    '/usr/bin/python3',
    fileURLToPath(new URL('../.venv/bin/python', import.meta.url)),
  ];
  for (const python of candidates) {
    if (!python || !existsSync(python)) continue;
    if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return { python };
  }
  return { reason: 'no python with torch (apt-get install python3-torch, or set DTRAIN_TORCH_PYTHON)' };
}
