/**
 * Electron's utilityProcess as a ProcessHost. Only the Electron main process loads this file.
 * utilityProcess.fork's `env` REPLACES the environment, so the parent's is merged in here.
 */
import type { UtilityProcess } from 'electron';
import {
  exitReason,
  tailKeeper,
  type ExitInfo,
  type ForkOptions,
  type ProcessHandle,
  type ProcessHost,
} from '../../engine/coordinator/process-host';

type Fork = (modulePath: string, args: string[], options: Record<string, unknown>) => UtilityProcess;

export class ElectronProcessHost implements ProcessHost {
  readonly kind = 'electron' as const;
  constructor(private readonly forkUtility: Fork) {}

  fork(entry: string, options: ForkOptions): ProcessHandle {
    const stderr = tailKeeper();
    const child = this.forkUtility(entry, [], {
      env: { ...process.env, ...options.env },
      serviceName: options.name,
      stdio: 'pipe',
    });
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
    let spawned = false;
    child.once('spawn', () => (spawned = true));
    const listeners: ((info: ExitInfo) => void)[] = [];
    let exited: ExitInfo | undefined;
    child.once('exit', (code: number) => {
      exited = { code, signal: null, reason: exitReason(code, null, stderr.text(), spawned), stderrTail: stderr.text() };
      listeners.forEach((l) => l(exited!));
    });
    return {
      get pid() {
        return child.pid;
      },
      channel: {
        send: (message) => child.postMessage(message),
        on: (listener) => {
          const handler = (m: unknown) => listener(m);
          child.on('message', handler);
          return () => child.off('message', handler);
        },
      },
      onExit: (listener) => (exited ? listener(exited) : listeners.push(listener)),
      kill: () => void child.kill(),
    };
  }
}
