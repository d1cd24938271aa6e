/** What every command shares: the process's settings, where the database is, and the engine over it. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../shared/errors';
import { readSettings, type Settings } from '../shared/settings';
import { defaultDbPath } from '../engine/paths';

export const WORKER_ENTRY = fileURLToPath(new URL('../workers/device-worker.ts', import.meta.url));

let settings: Settings | undefined;

/**
 * The CLI's DTRAIN_* settings: its environment read once, at its start (main.ts asks first, so a bad
 * value is one line and exit 2 before any command runs). Everything else gets them from here.
 */
export function cliSettings(): Settings {
  settings ??= readSettings(process.env);
  return settings;
}

/** The engine, loaded on first use so that `--help` and argument errors answer at once. */
export async function openService(db: string | undefined, options: { cpuOnly?: boolean; quiet?: boolean } = {}) {
  const { createTrainerService } = await import('../engine/service/index');
  return createTrainerService({
    dbPath: db ? resolve(db) : defaultDbPath(cliSettings()),
    settings: cliSettings(),
    processHost: 'node',
    workerEntry: WORKER_ENTRY,
    cpuOnly: options.cpuOnly,
    log: options.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
}

type Service = Awaited<ReturnType<typeof openService>>;

/** Opens the engine, runs one command's work with it, and always shuts it down (checkpointing live runs). */
export async function withService<T>(
  db: string | undefined,
  options: { cpuOnly?: boolean; quiet?: boolean },
  work: (service: Service) => Promise<T>,
): Promise<T> {
  const service = await openService(db, options);
  try {
    return await work(service);
  } finally {
    await service.shutdown();
  }
}

/** A mistake in the command line: an `invalid-input` ApiError (one line, exit code 2, no stack trace). */
export class UsageError extends ApiError {
  override name = 'UsageError';
  constructor(message: string) {
    super('invalid-input', message);
  }
}
