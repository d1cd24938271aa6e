// Starts a worker thread from a .js entry (the built app) or a .ts one (the CLI and tests run from
// source through tsx). Node 20 does not apply the parent's `--import tsx` hooks to worker threads, so
// a .ts entry is loaded by a small bootstrap that registers tsx in the thread first.
import { Worker, type TransferListItem } from 'node:worker_threads';

export function spawnThread(entry: URL, workerData: unknown, transferList: TransferListItem[], name: string): Worker {
  const options = { workerData, transferList, name };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  // Resolved here, not in the thread: an eval'd thread resolves bare names from the current directory.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
