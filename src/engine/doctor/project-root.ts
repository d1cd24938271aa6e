/** The dtrain package's directory (where node_modules and native/ live), from wherever this code runs. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function projectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && readName(pkg) === 'dtrain') return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

function readName(path: string): string | null {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: string }).name ?? null;
  } catch {
    return null;
  }
}
