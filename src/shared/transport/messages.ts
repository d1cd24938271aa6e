/**
 * The one message format shared by Electron IPC (preload ↔ main) and web mode (WebSocket). A call
 * names a TrainerApi method; a result answers it by id; events flow from the engine to the renderer.
 * `command` carries desktop-shell requests (menu items) that are not part of the trainer API.
 */
import type { TrainerApi, TrainerEvent } from '../api';
import type { ApiErrorPayload } from '../errors';

export type MethodName = keyof TrainerApi;

export interface CallMessage {
  kind: 'call';
  id: number;
  method: MethodName;
  args: unknown[];
}

export type ResultMessage =
  { kind: 'result'; id: number; ok: true; value: unknown } | { kind: 'result'; id: number; ok: false; error: ApiErrorPayload };

export interface EventMessage {
  kind: 'event';
  event: TrainerEvent;
}

/** What the desktop menu can ask the UI to do. */
export type ShellCommand = 'new-run' | 'open-runs' | 'toggle-theme' | 'show-help';

export interface CommandMessage {
  kind: 'command';
  command: ShellCommand;
}

export type TransportMessage = CallMessage | ResultMessage | EventMessage | CommandMessage;

/** The IPC channel the preload and the Electron main process talk over. */
export const IPC_CHANNEL = 'dtrain:api';

// A Record keyed by every method makes the compiler refuse a TrainerApi method missing from the list.
const METHOD_TABLE: Record<MethodName, true> = {
  listDevices: true,
  listDatasets: true,
  validateRunConfig: true,
  startRun: true,
  pauseRun: true,
  resumeRun: true,
  stopRun: true,
  listRuns: true,
  getRun: true,
  getMetrics: true,
  diffConfigs: true,
  exportMetricsCsv: true,
  exportRun: true,
  exportKerasArchive: true,
  evaluateCheckpoint: true,
  getOptimizerStats: true,
  getDeviceHistory: true,
  importKerasArchive: true,
  previewLearningRate: true,
  importOptimizerConfig: true,
  listSweeps: true,
  getSweep: true,
  describeDataSource: true,
  renameRun: true,
  setRunNotes: true,
  setRunTags: true,
  deleteRun: true,
  doctor: true,
};

/** The allow-list: the only names a remote caller may invoke. */
export const TRAINER_METHODS: readonly MethodName[] = Object.freeze(Object.keys(METHOD_TABLE) as MethodName[]);

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(METHOD_TABLE, name);
}

const SHELL_COMMANDS: readonly ShellCommand[] = ['new-run', 'open-runs', 'toggle-theme', 'show-help'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v);

/** A call as the serving side accepts it: known kind, integer id, allow-listed method, array args. */
export function parseCall(msg: unknown): CallMessage | { error: string; id: number | null } {
  if (!isObject(msg) || msg.kind !== 'call') return { error: 'not a call message', id: null };
  const id = isId(msg.id) ? msg.id : null;
  if (id === null) return { error: 'call without an integer id', id: null };
  if (!isMethodName(msg.method)) return { error: `unknown method: ${String(msg.method).slice(0, 64)}`, id };
  if (!Array.isArray(msg.args)) return { error: 'call args must be an array', id };
  return { kind: 'call', id, method: msg.method, args: msg.args };
}

/** Messages the calling side accepts: results, events and shell commands. Anything else is dropped. */
export function parseInbound(msg: unknown): ResultMessage | EventMessage | CommandMessage | null {
  if (!isObject(msg)) return null;
  if (msg.kind === 'result' && isId(msg.id) && typeof msg.ok === 'boolean') return msg as unknown as ResultMessage;
  if (msg.kind === 'event' && isObject(msg.event) && typeof msg.event.type === 'string') return msg as unknown as EventMessage;
  if (msg.kind === 'command' && SHELL_COMMANDS.includes(msg.command as ShellCommand)) return msg as unknown as CommandMessage;
  return null;
}
