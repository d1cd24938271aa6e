/**
 * A device worker must not outlive its coordinator. The IPC channel's 'disconnect' event says so,
 * but only once the worker's event loop runs: a worker busy in synchronous work (loading a large
 * dataset, decoding images, a loop that never ends) when the coordinator is killed would go on,
 * re-parented to init. This small thread watches the parent process instead and, when it is gone,
 * removes the ring's socket folder and kills its own process, whatever the main thread is doing.
 */
import { Worker } from 'node:worker_threads';

// Plain JavaScript evaluated in the thread (no loader there): poll the parent pid every 250 ms.
const WATCHER = `
const { parentPort } = require('node:worker_threads');
const { rmSync } = require('node:fs');
const parent = process.ppid;
let socketDir;
parentPort.on('message', (dir) => { socketDir = dir; });
setInterval(() => {
  if (process.ppid === parent) return;
  if (socketDir) try { rmSync(socketDir, { recursive: true, force: true }); } catch {}
  process.kill(process.pid, 'SIGKILL');
}, 250);
`;

let thread: Worker | undefined;

/** Starts the watcher (once per process); it never keeps the process alive by itself. */
export function startLifeline(): void {
  if (thread) return;
  thread = new Worker(WATCHER, { eval: true });
  thread.unref();
}

/** The ring's socket folder this worker joined: the watcher removes it if the coordinator dies. */
export function lifelineSocketDir(dir: string): void {
  thread?.postMessage(dir);
}
