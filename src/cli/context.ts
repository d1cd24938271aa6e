/** What every command shares: where the database is, and the engine over it. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** $DTRAIN_DB, else $XDG_DATA_HOME/dtrain/dtrain.db, else ~/.local/share/dtrain/dtrain.db. */
export function defaultDbPath(): string {
  if (process.env.DTRAIN_DB) return resolve(process.env.DTRAIN_DB);
  const data = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(data, 'dtrain', 'dtrain.db');
}

export const WORKER_ENTRY = fileURLToPath(new URL('../workers/device-worker.ts', import.meta.url));

/** The engine, loaded on first use so that `--help` and argument errors answer at once. */
export async function openService(db: string | undefined, options: { cpuOnly?: boolean; quiet?: boolean } = {}) {
  const { createTrainerService } = await import('../engine/service/index');
  return createTrainerService({
    dbPath: db ? resolve(db) : defaultDbPath(), processHost: 'node', workerEntry: WORKER_ENTRY, cpuOnly: options.cpuOnly,
    log: options.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
}

type Service = Awaited<ReturnType<typeof openService>>;

/** Opens the engine, runs one command's work with it, and always shuts it down (checkpointing live runs). */
export async function withService<T>(db: string | undefined, options: { cpuOnly?: boolean; quiet?: boolean }, work: (service: Service) => Promise<T>): Promise<T> {
  const service = await openService(db, options);
  try {
    return await work(service);
  } finally {
    await service.shutdown();
  }
}

/** A user-facing error: printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {}
