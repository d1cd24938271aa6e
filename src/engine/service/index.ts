/** Creates the engine for a front end: the store, the process host and the service over them. */
import * as tf from '@tensorflow/tfjs-core';
import { dirname, join } from 'node:path';
import { RunStore } from '../store/index';
import type { TrainerApi, TrainerEvent } from '../../shared/api';
import { NodeProcessHost } from '../coordinator/node-process-host';
import type { ProcessHost } from '../coordinator/process-host';
import { readSettings, type Settings } from '../../shared/settings';
import { setDataPlaces } from '../../datasets/places';
import { TrainerService } from './trainer-service';
import { makeDirs } from '../../datasets/files';
import { invalidInput } from '../../shared/errors';

export interface CreateTrainerServiceOptions {
  dbPath: string;
  /** 'node' forks with child_process; the Electron shell passes its utilityProcess host. */
  processHost: 'node' | ProcessHost;
  workerEntry: string;
  cpuOnly?: boolean;
  exportDir?: string;
  /** better-sqlite3 built for another ABI (Electron's; see scripts/rebuild-native.mjs). */
  nativeBinding?: string;
  log?: (line: string) => void;
  /** Free host memory in bytes for the pre-start memory check (default os.freemem). */
  freeMemory?: () => number;
  /**
   * The process's DTRAIN_* settings, read once at its edge (the CLI passes the ones it read at its
   * start); default: this process's environment, read now. A bad value is refused here.
   */
  settings?: Settings;
}

export type TrainerServiceHandle = TrainerApi & {
  subscribe(listener: (e: TrainerEvent) => void): () => void;
  shutdown(): Promise<void>;
};

export async function createTrainerService(options: CreateTrainerServiceOptions): Promise<TrainerService & TrainerServiceHandle> {
  const settings = options.settings ?? readSettings(process.env);
  setDataPlaces({ datasetsDir: settings.datasetsDir, cacheDir: settings.cacheDir, imageCacheMb: settings.imageCacheMb });
  // Production mode: no tfjs debug checks, and no console banner suggesting tfjs-node (backends are chosen per worker).
  tf.env().set('PROD', true);
  createDbFolder(options.dbPath);
  const store = RunStore.open(options.dbPath, {
    nativeBinding: options.nativeBinding,
    leaseMs: settings.leaseSeconds * 1000,
    busyTimeoutMs: settings.dbBusySeconds * 1000,
  });
  const host = options.processHost === 'node' ? new NodeProcessHost() : options.processHost;
  const service = new TrainerService({
    store,
    host,
    workerEntry: options.workerEntry,
    settings,
    cpuOnly: options.cpuOnly,
    log: options.log,
    freeMemory: options.freeMemory,
    exportDir: options.exportDir ?? join(dirname(options.dbPath), 'exports'),
  });
  const shutdown = service.shutdown.bind(service);
  service.shutdown = async () => {
    await shutdown();
    store.close();
  };
  return service;
}

export { TrainerService };

/** The database's folder, created if missing; a path where it cannot be is the user's input (exit 2). */
function createDbFolder(dbPath: string): void {
  try {
    makeDirs(dirname(dbPath));
  } catch (e) {
    throw invalidInput(`the database ${dbPath}: ${(e as Error).message}`);
  }
}
