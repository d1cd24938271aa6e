import { fork } from 'node:child_process';
import { exitReason, tailKeeper, type ForkOptions, type ProcessHandle, type ProcessHost, type ExitInfo } from './process-host';

/**
 * child_process.fork with structured-clone IPC (typed arrays cross as such). A TypeScript entry runs
 * through tsx (CLI and tests run from source); a built .js entry runs directly.
 */
// Resolved from this file, not from the current directory: `dtrain` run from /tmp or installed as a
// package must find its own tsx (a bare `--import tsx` is looked up from the cwd).
const TSX_LOADER = import.meta.resolve('tsx');

export class NodeProcessHost implements ProcessHost {
  readonly kind = 'node' as const;

  fork(entry: string, options: ForkOptions): ProcessHandle {
    const stderr = tailKeeper();
    const child = fork(entry, [], {
      env: { ...process.env, ...options.env },
      execArgv: entry.endsWith('.ts') ? ['--import', TSX_LOADER] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      // Its own session and process group: Ctrl-C in a terminal signals the whole foreground group,
      // and the coordinator, not the terminal, decides when workers stop (a pause needs them alive to
      // checkpoint). They still exit when the coordinator dies: the IPC channel closes (see device-worker).
      detached: true,
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr.push(chunk);
      process.stderr.write(chunk.replace(/^(?=.)/gm, `[${options.name} ${child.pid}] `));
    });
    let spawned = false;
    child.once('spawn', () => (spawned = true));
    const exitListeners: ((info: ExitInfo) => void)[] = [];
    let exited: ExitInfo | undefined;
    const finish = (code: number | null, signal: string | null) => {
      if (exited) return;
      exited = { code, signal, reason: exitReason(code, signal, stderr.text(), spawned), stderrTail: stderr.text() };
      exitListeners.forEach((l) => l(exited!));
    };
    child.once('exit', (code, signal) => finish(code, signal));
    child.once('error', (e) => {
      stderr.push(String(e.message));
      if (!spawned) finish(null, null);
    });
    return {
      pid: child.pid,
      channel: {
        send: (message) => {
          if (child.connected) child.send(message as never);
        },
        on: (listener) => {
          child.on('message', listener);
          return () => child.off('message', listener);
        },
      },
      onExit: (listener) => (exited ? listener(exited) : exitListeners.push(listener)),
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  }
}
