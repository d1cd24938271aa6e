/**
 * The folders holding a run's ring sockets: `dt-<coordinator pid>-XXXXXX` in the temp dir. The pid in
 * the name lets a later dtrain remove the folders of a coordinator that was killed before it or its
 * workers could (workers remove theirs when orphaned, but only once they have joined the ring).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PATTERN = /^dt-(\d+)-[A-Za-z0-9]{6}$/;

export function createSocketDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), `dt-${process.pid}-`));
}

/** Removes socket folders whose coordinator is gone; only folders of our own naming pattern. */
export async function sweepOrphanSocketDirs(isAlive: (pid: number) => boolean = processAlive): Promise<string[]> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  const orphans = names.filter((n) => {
    const m = PATTERN.exec(n);
    return m !== null && Number(m[1]) !== process.pid && !isAlive(Number(m[1]));
  });
  await Promise.all(orphans.map((n) => rm(join(tmpdir(), n), { recursive: true, force: true })));
  return orphans;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
