/** The wasm backend every CPU worker (and a GPU worker without tfjs-node-gpu) uses: its .wasm files present? */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];

export function probeWasm(root: string): { available: boolean; error: string | null } {
  let dist: string;
  try {
    dist = join(dirname(createRequire(join(root, 'package.json')).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  } catch {
    return { available: false, error: '@tensorflow/tfjs-backend-wasm is not installed' };
  }
  const missing = FILES.filter((f) => !existsSync(join(dist, f)));
  return missing.length === 0
    ? { available: true, error: null }
    : { available: false, error: `missing ${missing.join(', ')} in ${dist}` };
}
