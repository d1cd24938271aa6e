/**
 * The Electron entry: single instance, one locked-down window, the app menu, and the TrainerApi
 * served over IPC. The engine (coordinator, store, workers) lives in the service; this file only
 * wires it to Electron and shuts it down (checkpointing running runs) before quitting.
 */
import { type BrowserWindow, Menu, app, utilityProcess } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainerEvent } from '../shared/api';
import type { ShellCommand } from '../shared/transport';
import { bridgeWindow } from './electron/ipc-bridge';
import { buildAppMenu } from './electron/menu';
import { builtPaths, createMainWindow, denyAllPermissions } from './electron/window';
import { ElectronProcessHost } from './electron/utility-process-host';
import { createTrainerService } from '../engine/service/index';
import { defaultDbPath } from '../engine/paths';
import { readSettings, type Settings } from '../shared/settings';

type Service = Awaited<ReturnType<typeof createTrainerService>>;

const MAIN_DIR = import.meta.dirname;
const SHUTDOWN_TIMEOUT_MS = 30_000;
const log = (line: string): void => console.log(`[dtrain] ${line}`);

let service: Service | null = null;
let window: BrowserWindow | null = null;
let sendCommand: (command: ShellCommand) => void = () => {};
let quitting: 'no' | 'shutting-down' | 'done' = 'no';

// The shell's edge: its environment is read once, here (a bad DTRAIN_* value is one line and exit 2).
let settings: Settings;
try {
  settings = readSettings(process.env);
} catch (err) {
  console.error(`[dtrain] ${(err as Error).message}`);
  app.exit(2);
  throw err;
}
// Electron's own state (caches, window storage) can live elsewhere for tests; the database follows DTRAIN_DB.
if (settings.userDataDir) app.setPath('userData', settings.userDataDir);

function focusWindow(): void {
  if (!window) return;
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

function openWindow(svc: Service): void {
  window = createMainWindow(builtPaths(MAIN_DIR));
  sendCommand = bridgeWindow(window, svc, (listener) => svc.subscribe(listener));
  window.on('closed', () => {
    window = null;
    sendCommand = () => {};
  });
}

async function start(): Promise<void> {
  denyAllPermissions();
  Menu.setApplicationMenu(buildAppMenu((command) => sendCommand(command)));
  // The CLI's database: a run trained by `dtrain train` shows up here and the other way round.
  const dbPath = defaultDbPath(settings);
  // better-sqlite3 built for Electron's ABI by `npm run rebuild:electron`; node_modules keeps Node's build.
  const binding = join(app.getAppPath(), 'native/electron/node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  const nativeBinding = existsSync(binding) ? binding : undefined;
  service = await createTrainerService({
    dbPath,
    processHost: new ElectronProcessHost(utilityProcess.fork.bind(utilityProcess) as never),
    workerEntry: join(MAIN_DIR, 'device-worker.js'),
    nativeBinding,
    log,
    settings,
  });
  service.subscribe((event: TrainerEvent) => {
    if (event.type === 'worker-crash') log(`worker for device ${event.deviceId} of run ${event.runId} crashed: ${event.reason}`);
  });
  log(`database ${dbPath}`);
  openWindow(service);
}

/** Races the service shutdown against a timeout, so a stuck worker cannot keep the app from quitting. */
async function shutdown(): Promise<void> {
  if (!service) return;
  const timeout = new Promise<void>((resolve) =>
    setTimeout(() => {
      log(`shutdown took over ${SHUTDOWN_TIMEOUT_MS / 1000}s; quitting anyway`);
      resolve();
    }, SHUTDOWN_TIMEOUT_MS).unref(),
  );
  await Promise.race([service.shutdown().catch((err: Error) => log(`shutdown failed: ${err.message}`)), timeout]);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', focusWindow);
  app.on('before-quit', (event) => {
    if (quitting === 'done') return;
    event.preventDefault();
    if (quitting === 'shutting-down') return;
    quitting = 'shutting-down';
    void shutdown().finally(() => {
      quitting = 'done';
      app.quit();
    });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (!window && service) openWindow(service);
  });
  app
    .whenReady()
    .then(start)
    .catch((err: Error) => {
      console.error(`[dtrain] failed to start: ${err.stack ?? err.message}`);
      app.exit(1);
    });
}
