/**
 * The serving side of the transport: answers allow-listed `call` messages from a TrainerApi and
 * forwards engine events. Used by Electron main (ipcMain) and web mode (WebSocket) alike.
 */
import type { TrainerApi, TrainerEvent } from '../api';
import { ApiError, toApiError } from '../errors';
import { parseCall, type TransportMessage } from './messages';
import type { OnMessage } from './client';

export type Subscribe = (listener: (event: TrainerEvent) => void) => () => void;

/** Only the message crosses: stacks and other properties stay on the engine side. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  return 'unknown error';
}

/** Where the raw text of an unexpected (non-ApiError) failure goes; the peer sees only `internal`. */
export type InternalErrorLog = (method: string, err: unknown) => void;

const logToConsole: InternalErrorLog = (method, err) => console.error(`transport: ${method} failed:`, err);

/**
 * Serves `api` to one peer. Returns a dispose function that stops forwarding events and ignores
 * further calls (results of calls still running are dropped, as the peer is gone). Failures cross
 * as ApiError payloads `{code, message, issues?}`, classified by their class (toApiError): an
 * ApiError or a UserError keeps its code, anything else becomes `internal`.
 */
export function serveApi(
  api: TrainerApi,
  subscribe: Subscribe,
  send: (msg: TransportMessage) => void,
  onMessage: OnMessage,
  logInternal: InternalErrorLog = logToConsole,
): () => void {
  let open = true;
  const reply = (msg: TransportMessage): void => {
    if (!open) return;
    try {
      send(msg);
    } catch (err) {
      console.error(`transport: send failed: ${errorMessage(err)}`);
    }
  };

  const handle = async (raw: unknown): Promise<void> => {
    const call = parseCall(raw);
    if (!('kind' in call)) {
      if (call.id !== null)
        reply({ kind: 'result', id: call.id, ok: false, error: new ApiError('invalid-input', call.error).toPayload() });
      return;
    }
    try {
      const method = api[call.method] as (...args: unknown[]) => Promise<unknown>;
      const value = await method.apply(api, call.args);
      reply({ kind: 'result', id: call.id, ok: true, value: value === undefined ? null : value });
    } catch (err) {
      const error = toApiError(err);
      if (error.code === 'internal') logInternal(call.method, err);
      reply({ kind: 'result', id: call.id, ok: false, error: error.toPayload() });
    }
  };

  const stopEvents = subscribe((event) => reply({ kind: 'event', event }));
  const stopMessages = onMessage((raw) => void handle(raw));
  return () => {
    open = false;
    stopEvents();
    if (typeof stopMessages === 'function') stopMessages();
  };
}
