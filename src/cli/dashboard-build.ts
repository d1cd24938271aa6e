/**
 * `dtrain serve` on a fresh clone: the dashboard (src/renderer) is built on first use, once, however
 * many `serve` processes start together. The first takes a lock file (created exclusively), builds
 * into a private folder and renames it into place (atomic: a reader sees no folder or a whole one);
 * the others wait for the folder, or take over a lock whose process died.
 */
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface DashboardBuildOptions {
  /** The folder to serve: `<dir>/index.html` when built. */
  dir: string;
  /** The renderer's sources (src/renderer). */
  root: string;
  log: (line: string) => void;
  /** Gives up waiting for another process's build after this long (default 5 minutes). */
  timeoutMs?: number;
}

const POLL_MS = 200;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's holder, or null when the lock was taken here. */
function takeLock(lock: string): number | null {
  try {
    const fd = openSync(lock, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const holder = Number(readFileSync(lock, 'utf8'));
    return Number.isSafeInteger(holder) && holder > 0 ? holder : -1;
  }
}

async function build(o: DashboardBuildOptions): Promise<void> {
  const tmp = `${o.dir}.build-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  o.log('building the dashboard (first start only)...');
  const { build: viteBuild } = await import('vite');
  await viteBuild({
    configFile: false,
    root: o.root,
    base: './',
    logLevel: 'warn',
    build: { outDir: tmp, emptyOutDir: true, reportCompressedSize: false },
  });
  if (!existsSync(join(tmp, 'index.html'))) throw new Error('building the dashboard failed: no index.html was written');
  rmSync(o.dir, { recursive: true, force: true }); // a folder without index.html is an interrupted build's
  renameSync(tmp, o.dir);
}

export async function ensureDashboardBuilt(o: DashboardBuildOptions): Promise<void> {
  const lock = `${o.dir}.lock`;
  const deadline = Date.now() + (o.timeoutMs ?? 300_000);
  mkdirSync(dirname(o.dir), { recursive: true });
  let told = false;
  while (!existsSync(join(o.dir, 'index.html'))) {
    const holder = takeLock(lock);
    if (holder === null) {
      try {
        // Another process may have finished between our check and our lock.
        if (!existsSync(join(o.dir, 'index.html'))) await build(o);
      } finally {
        rmSync(lock, { force: true });
      }
      return;
    }
    if (holder !== -1 && !alive(holder)) {
      rmSync(lock, { force: true }); // its builder died: the next round takes the lock
      continue;
    }
    if (!told) o.log(`waiting for the dashboard build of another dtrain serve (pid ${holder})...`);
    told = true;
    if (Date.now() > deadline) throw new Error(`building the dashboard: still locked by pid ${holder} after waiting (${lock})`);
    await sleep(POLL_MS);
  }
}
