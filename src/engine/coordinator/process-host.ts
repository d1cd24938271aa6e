/**
 * Starting device workers: one interface, two implementations (Node child_process for the CLI and
 * tests, Electron utilityProcess for the app). Everything above it is the same code.
 */
import type { MessageChannelLike } from '../../workers/endpoints';

export type ExitReason = 'clean-exit' | 'killed' | 'crashed' | 'oom' | 'launch-failed';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  reason: ExitReason;
  /** Last lines the process wrote to stderr (why it crashed, when it says). */
  stderrTail: string;
}

export interface ForkOptions {
  /** Added to (not replacing) the parent environment. */
  env: Record<string, string>;
  /** Shown in logs and process lists, e.g. `dtrain-dev0`. */
  name: string;
}

export interface ProcessHandle {
  readonly pid: number | undefined;
  readonly channel: MessageChannelLike;
  onExit(listener: (info: ExitInfo) => void): void;
  kill(): void;
}

export interface ProcessHost {
  readonly kind: 'node' | 'electron';
  fork(entry: string, options: ForkOptions): ProcessHandle;
}

/** Classifies an exit the way VS Code's UtilityProcess does, from code, signal and stderr. */
export function exitReason(code: number | null, signal: string | null, stderrTail: string, spawned: boolean): ExitReason {
  if (!spawned) return 'launch-failed';
  if (/heap out of memory|Allocation failed|std::bad_alloc|OOM/i.test(stderrTail)) return 'oom';
  if (signal) return 'killed';
  return code === 0 ? 'clean-exit' : 'crashed';
}

/** Keeps the last `limit` characters of a stream's text. */
export function tailKeeper(limit = 4000): { push(chunk: string): void; text(): string } {
  let text = '';
  return {
    push(chunk) {
      text = (text + chunk).slice(-limit);
    },
    text: () => text,
  };
}
