/**
 * File-system steps that must end, whatever path a user gives: creating a folder and its parents,
 * and opening a file that is a regular file of bounded size (not a FIFO that blocks a read forever,
 * not /dev/zero that never ends, not a folder).
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatasetError } from '../core/data/index';

/**
 * `mkdir -p`, one level at a time. Node's own recursive mkdir never returns under /proc (the kernel
 * answers ENOENT for the child and EEXIST for the parent, and libuv retries forever); this one
 * creates each missing folder once and throws the first refusal, in one line naming the folder.
 */
export function makeDirs(path: string): void {
  const missing: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    const kind = kindOf(dir);
    if (kind === 'dir') break;
    if (kind === 'other') throw new Error(`cannot create folder ${resolve(path)}: ${dir} exists and is not a folder`);
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && kindOf(dir) === 'dir') continue;
      throw new Error(`cannot create folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
}

function kindOf(path: string): 'dir' | 'other' | 'none' {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'other';
  } catch {
    return 'none';
  }
}

/** Why a path cannot be read as a data file, in words, or null for a regular file. */
function notRegular(st: { isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean }) {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'it is a directory';
  if (st.isFIFO()) return 'it is a FIFO (named pipe), not a regular file';
  if (st.isCharacterDevice()) return 'it is a device, not a regular file';
  return 'it is not a regular file';
}

/**
 * Opens a regular file for reading, refusing anything else before a byte is read: the open is
 * non-blocking, so a FIFO without a writer cannot hang it. Returns the descriptor and the size.
 */
export function openRegularFile(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new DatasetError(fsReason(e));
  }
  const st = fstatSync(fd);
  const why = notRegular(st);
  if (why) {
    closeSync(fd);
    throw new DatasetError(why);
  }
  return { fd, size: st.size };
}

/**
 * A regular file's bytes, refused before reading when it is not a regular file or larger than
 * `maxBytes` (what the caller can use: a declared shape, an archive's entries).
 */
export function readRegularFile(path: string, maxBytes = Number.MAX_SAFE_INTEGER, what = 'the file'): Buffer {
  const { fd, size } = openRegularFile(path);
  try {
    if (size > maxBytes) throw new DatasetError(`${what} is ${size} bytes, more than the ${maxBytes} it can hold`);
    const out = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, out, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return got === size ? out : out.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

export function fsReason(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  return (code && FS_REASONS[code]) ?? (err instanceof Error ? err.message.split('\n')[0]! : String(err));
}

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent of it is not a directory',
  EMFILE: 'too many open files',
};
