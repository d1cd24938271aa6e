/**
 * The calling side of the transport: turns RendererApi method calls into `call` messages and
 * resolves them from `result` messages; fans `event` messages out to listeners. Runs in the preload
 * (over ipcRenderer) and in the browser (over a WebSocket): no Node or DOM APIs here.
 */
import type { RendererApi, TrainerApi, TrainerEvent } from '../api';
import { ApiError, isApiErrorPayload } from '../errors';
import { TRAINER_METHODS, parseInbound, type MethodName, type ShellCommand, type TransportMessage } from './messages';

/** Registers a handler for inbound messages; may return an unsubscribe function. */
export type OnMessage = (handler: (msg: unknown) => void) => (() => void) | void;

export interface ApiClient extends RendererApi {
  /** Desktop menu commands (Electron only; web mode never receives any). */
  onShellCommand(listener: (command: ShellCommand) => void): () => void;
  /** Rejects every call still waiting for a result, e.g. when the connection dropped. */
  failPending(message: string): void;
  /** Stops listening; pending calls are rejected. */
  dispose(): void;
}

/**
 * What the preload exposes as `window.dtrainIpc`: the transport's two ends on the app's one IPC
 * channel, nothing more. The page builds its ApiClient on it, so rejected calls are ApiErrors with
 * their code (an Error crossing Electron's contextBridge keeps only its message).
 */
export interface IpcPort {
  send(msg: TransportMessage): void;
  subscribe(handler: (msg: unknown) => void): () => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** JSON has no `undefined`: drop trailing ones so optional arguments stay absent, not null. */
function trimArgs(args: unknown[]): unknown[] {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  return args.slice(0, n);
}

export function createApiClient(send: (msg: TransportMessage) => void, onMessage: OnMessage): ApiClient {
  const pending = new Map<number, Pending>();
  const eventListeners = new Set<(event: TrainerEvent) => void>();
  const commandListeners = new Set<(command: ShellCommand) => void>();
  // A random start: after a page reload, late results for the old page's calls must not match new ids.
  let nextId = 1 + Math.floor(Math.random() * 2 ** 30);

  const call = (method: MethodName, args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      try {
        send({ kind: 'call', id, method, args: trimArgs(args) });
      } catch (err) {
        pending.delete(id);
        reject(new ApiError('internal', err instanceof Error ? err.message : String(err)));
      }
    });

  const receive = (raw: unknown): void => {
    const msg = parseInbound(raw);
    if (msg === null) return;
    if (msg.kind === 'event') {
      for (const listener of [...eventListeners]) safely(() => listener(msg.event));
    } else if (msg.kind === 'command') {
      for (const listener of [...commandListeners]) safely(() => listener(msg.command));
    } else {
      const waiting = pending.get(msg.id);
      if (!waiting) return;
      pending.delete(msg.id);
      if (msg.ok) waiting.resolve(msg.value);
      // The engine's error comes back as an ApiError with its code, so callers can branch on it.
      else
        waiting.reject(isApiErrorPayload(msg.error) ? ApiError.fromPayload(msg.error) : new ApiError('internal', 'call failed'));
    }
  };
  const unsubscribe = onMessage(receive);

  const failPending = (message: string): void => {
    const waiting = [...pending.values()];
    pending.clear();
    for (const p of waiting) p.reject(new ApiError('internal', message));
  };

  const methods = Object.fromEntries(
    TRAINER_METHODS.map((name) => [name, (...args: unknown[]) => call(name, args)]),
  ) as unknown as TrainerApi;

  // A plain object of own function properties: contextBridge copies only those.
  return {
    ...methods,
    onEvent(listener) {
      eventListeners.add(listener);
      return () => void eventListeners.delete(listener);
    },
    onShellCommand(listener) {
      commandListeners.add(listener);
      return () => void commandListeners.delete(listener);
    },
    failPending,
    dispose() {
      if (typeof unsubscribe === 'function') unsubscribe();
      eventListeners.clear();
      commandListeners.clear();
      failPending('connection closed');
    },
  };
}

/** One listener's exception must not stop the others from hearing the event. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    console.error(err);
  }
}
