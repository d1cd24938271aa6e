import * as Comlink from 'comlink';
import { endpointFor } from '../../workers/endpoints';
import { isTaggedEvent, type WorkerApi, type WorkerEvent } from '../../shared/worker-protocol';
import type { ExitInfo, ProcessHandle, ProcessHost } from './process-host';

/** A worker that died; names the device, why, and what it last printed. */
export class WorkerDiedError extends Error {
  constructor(
    readonly deviceId: number,
    readonly exit: ExitInfo,
  ) {
    const said = exit.stderrTail.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    super(`device ${deviceId} worker ${describeExit(exit)}${said ? `: ${said}` : ''}`);
    this.name = 'WorkerDiedError';
  }
}

/** A worker that is alive but made no progress (stopped, deadlocked, a hung GPU call) for too long. */
export class WorkerStalledError extends Error {
  constructor(
    readonly deviceId: number,
    readonly ms: number,
    phase: 'training' | 'starting' = 'training',
  ) {
    super(
      `device ${deviceId} worker made no progress for ${Math.round(ms / 1000)} s${phase === 'starting' ? ' while starting' : ''} (stalled); the run was stopped`,
    );
    this.name = 'WorkerStalledError';
  }
}

export type WorkerFailure = WorkerDiedError | WorkerStalledError;

export function describeExit(e: ExitInfo): string {
  switch (e.reason) {
    case 'oom':
      return 'ran out of memory';
    case 'killed':
      return `was killed (${e.signal})`;
    case 'launch-failed':
      return 'could not be started';
    case 'clean-exit':
      return 'exited unexpectedly';
    default:
      return `crashed (exit code ${e.code})`;
  }
}

/**
 * One device worker process seen from the coordinator: a comlink proxy whose every call fails at once
 * (instead of hanging) when the process dies, its events, and a bounded shutdown.
 */
export class DeviceProcess {
  readonly exited: Promise<ExitInfo>;
  private readonly api: Comlink.Remote<WorkerApi>;
  private exitInfo?: ExitInfo;

  private constructor(
    readonly deviceId: number,
    private readonly handle: ProcessHandle,
  ) {
    this.api = Comlink.wrap<WorkerApi>(endpointFor(handle.channel));
    this.exited = new Promise((resolve) =>
      handle.onExit((info) => {
        this.exitInfo = info;
        resolve(info);
      }),
    );
  }

  static start(host: ProcessHost, entry: string, deviceId: number, env: Record<string, string>): DeviceProcess {
    return new DeviceProcess(deviceId, host.fork(entry, { env, name: `dtrain-dev${deviceId}` }));
  }

  get pid(): number | undefined {
    return this.handle.pid;
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  onEvent(listener: (event: WorkerEvent) => void): () => void {
    return this.handle.channel.on((m) => {
      if (isTaggedEvent(m)) listener(m.event);
    });
  }

  /** Calls the worker; rejects with WorkerDiedError as soon as the process is gone. */
  async call<T>(fn: (api: Comlink.Remote<WorkerApi>) => Promise<T>): Promise<T> {
    if (this.exitInfo) throw new WorkerDiedError(this.deviceId, this.exitInfo);
    const died = this.exited.then((info) => Promise.reject(new WorkerDiedError(this.deviceId, info)));
    return Promise.race([fn(this.api), died]);
  }

  /** Asks the worker to shut down, waits up to `ms`, then kills it. */
  async stop(ms = 3000): Promise<ExitInfo> {
    if (this.alive) this.call((api) => api.shutdown()).catch(() => undefined);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') this.kill();
    return this.exited;
  }

  /** True once the coordinator killed this worker (so its exit is not the cause of a failure). */
  killedByCoordinator = false;

  kill(): void {
    if (this.alive) this.killedByCoordinator = true;
    this.handle.kill();
  }
}
