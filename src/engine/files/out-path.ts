/**
 * Where an export may write: a new or empty folder (a non-empty one only with `force`), or a file that
 * does not exist yet (or `force`). Folders are made one level at a time: Node's recursive mkdir spins
 * forever under /proc, and its raw EEXIST/ENOENT texts are not messages for a person.
 */
import { accessSync, constants, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** Creates `dir` and any missing parents, one level at a time; each failure is one clear line. Returns the folders it made. */
function makeDir(dir: string): string[] {
  const missing: string[] = [];
  let at = dir;
  while (kindOf(at) === null && dirname(at) !== at) {
    missing.unshift(at);
    at = dirname(at);
  }
  if (kindOf(at) === 'file') throw invalidInput(`cannot create ${dir}: ${at} is a file`);
  const made: string[] = [];
  for (const d of missing) {
    try {
      mkdirSync(d);
      made.push(d);
    } catch (e) {
      removeFolders(made);
      throw invalidInput(`cannot create ${dir}: ${reason(e)}`);
    }
  }
  return made;
}

/** Removes folders an export made, deepest first, each only if empty. */
function removeFolders(made: string[]): void {
  for (const d of [...made].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (something else wrote there) or already gone: leave it
    }
  }
}

/** Makes sure `dir` is a folder to export into: created if new, refused when it has files unless `force`. */
export function prepareOutDir(dir: string, force = false): string {
  return openOutDir(dir, force).dir;
}

function openOutDir(dir: string, force: boolean): { dir: string; made: string[] } {
  const abs = resolve(dir);
  const kind = kindOf(abs);
  if (kind === 'file') throw invalidInput(`${abs} is a file; export needs a folder`);
  if (kind === 'dir' && readdirSync(abs).length > 0 && !force)
    throw invalidInput(`${abs} is not empty; choose a new folder or pass --force to overwrite its files`);
  const made = makeDir(abs);
  try {
    accessSync(abs, constants.W_OK);
  } catch (e) {
    removeFolders(made);
    throw invalidInput(`cannot write into ${abs}: ${reason(e)}`);
  }
  return { dir: abs, made };
}

/**
 * Writes one export's files into `dir` (prepared as prepareOutDir does). If any write fails (a full
 * disk), the files this export created and the folders it made are removed again, so a retry finds
 * the place as it was: nothing half-written, and no "not empty" for a folder that only holds debris.
 */
export function writeExportFiles(dir: string, files: readonly [string, string | Uint8Array][], force = false): string[] {
  const { dir: abs, made } = openOutDir(dir, force);
  const created: string[] = [];
  try {
    for (const [name, data] of files) {
      const file = join(abs, name);
      const isNew = kindOf(file) === null;
      writeFileAtomic(file, data);
      if (isNew) created.push(file);
    }
  } catch (e) {
    for (const f of created) rmSync(f, { force: true });
    removeFolders(made);
    throw e;
  }
  return files.map(([name]) => join(abs, name));
}

/** Writes one file of an export (prepared as prepareOutFile does); a failed write leaves neither it nor a folder it made. */
export function writeExportFile(file: string, data: Uint8Array, force = false): string {
  const abs = resolve(file);
  const kind = kindOf(abs);
  if (kind === 'dir') throw invalidInput(`${abs} is a folder; give a file name`);
  if (kind === 'file' && !force) throw invalidInput(`${abs} exists; choose a new name or pass --force to overwrite it`);
  const made = makeDir(dirname(abs));
  try {
    writeFileAtomic(abs, data);
  } catch (e) {
    removeFolders(made);
    throw e;
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

/**
 * Writes through a temporary name and a rename, so a failed write never leaves half a file; the
 * temporary file goes too (a full disk used to leave a 0-byte `.NAME.PID.tmp` behind).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
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
