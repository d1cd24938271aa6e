/**
 * Where an export may write: a new or empty folder (a non-empty one only with `force`), or a file that
 * does not exist yet (or `force`). Folders are made one level at a time: Node's recursive mkdir spins
 * forever under /proc, and its raw EEXIST/ENOENT texts are not messages for a person.
 */
import { accessSync, constants, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { invalidInput } from '../../shared/errors';

const REASONS: Record<string, string> = {
  ENOENT: 'a folder on the way does not exist or cannot hold folders',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is a file',
  ENOSPC: 'no space left on the device',
};

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  return REASONS[code] ?? (e instanceof Error ? e.message : String(e));
}

function kindOf(path: string): 'dir' | 'file' | null {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return null;
  }
}

/** Creates `dir` and any missing parents, one level at a time; each failure is one clear line. */
function makeDir(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  while (kindOf(at) === null && dirname(at) !== at) {
    missing.unshift(at);
    at = dirname(at);
  }
  if (kindOf(at) === 'file') throw invalidInput(`cannot create ${dir}: ${at} is a file`);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw invalidInput(`cannot create ${dir}: ${reason(e)}`);
    }
  }
}

/** Makes sure `dir` is a folder to export into: created if new, refused when it has files unless `force`. */
export function prepareOutDir(dir: string, force = false): string {
  const abs = resolve(dir);
  const kind = kindOf(abs);
  if (kind === 'file') throw invalidInput(`${abs} is a file; export needs a folder`);
  if (kind === 'dir' && readdirSync(abs).length > 0 && !force)
    throw invalidInput(`${abs} is not empty; choose a new folder or pass --force to overwrite its files`);
  makeDir(abs);
  try {
    accessSync(abs, constants.W_OK);
  } catch (e) {
    throw invalidInput(`cannot write into ${abs}: ${reason(e)}`);
  }
  return abs;
}

/** Checks that `file` may be written (parent folder made; an existing file only with `force`). */
export function prepareOutFile(file: string, force = false): string {
  const abs = resolve(file);
  const kind = kindOf(abs);
  if (kind === 'dir') throw invalidInput(`${abs} is a folder; give a file name`);
  if (kind === 'file' && !force) throw invalidInput(`${abs} exists; choose a new name or pass --force to overwrite it`);
  makeDir(dirname(abs));
  return abs;
}

/** Writes through a temporary name and a rename, so a failed write never leaves half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    throw invalidInput(`cannot write ${file}: ${reason(e)}`);
  }
}

/** A new folder under `parent` for one export of a run (`<name>-2`, `-3`… when taken). */
export function freshDir(parent: string, name: string): string {
  for (let i = 1; ; i++) {
    const dir = join(parent, i === 1 ? name : `${name}-${i}`);
    if (kindOf(dir) === null) return dir;
  }
}
