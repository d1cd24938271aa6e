/**
 * The one error contract of the engine's API. Every failure that crosses a boundary (IPC, WebSocket,
 * the CLI's exit code) is an ApiError with a kind, so a front end can tell "you typed something
 * wrong" from "the engine broke" without parsing messages. See docs/architecture.md, "Errors".
 */
import type { ConfigIssue } from './api';

export type ApiErrorCode = UserErrorCode | 'internal';

/** The codes of a failure with a known cause outside the engine's own code. */
export type UserErrorCode = 'invalid-input' | 'not-found' | 'conflict' | 'busy';

export const API_ERROR_CODES: readonly ApiErrorCode[] = ['invalid-input', 'not-found', 'conflict', 'busy', 'internal'];

/** What crosses a process or network boundary (structured-clone and JSON safe). */
export interface ApiErrorPayload {
  code: ApiErrorCode;
  message: string;
  /** Field-level problems (dotted config paths), for inline messages in forms. */
  issues?: ConfigIssue[];
}

/**
 * The base of every error whose cause is known where it is thrown: the caller's input (a config, a
 * data file, a model spec), something missing, a clash with the current state, or a held resource.
 * It carries the ApiError code it crosses a boundary with, so `toApiError` maps it by its class and
 * no caller has to guess from a message. Core's domain errors (DatasetError, ModelSpecError, …)
 * extend it; core re-exports it from src/core/errors.ts. Anything else that is thrown is an engine
 * failure (`internal`).
 */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    readonly code: UserErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly issues?: ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toPayload(): ApiErrorPayload {
    return {
      code: this.code,
      message: this.message,
      ...(this.issues ? { issues: this.issues.map((i) => ({ path: i.path, message: i.message })) } : {}),
    };
  }

  static fromPayload(p: ApiErrorPayload): ApiError {
    return new ApiError(p.code, p.message, p.issues);
  }
}

export const invalidInput = (message: string, issues?: ConfigIssue[]): ApiError => new ApiError('invalid-input', message, issues);
export const notFound = (message: string): ApiError => new ApiError('not-found', message);
export const conflict = (message: string): ApiError => new ApiError('conflict', message);
export const busy = (message: string): ApiError => new ApiError('busy', message);
export const internal = (message: string): ApiError => new ApiError('internal', message);

export function isApiErrorPayload(v: unknown): v is ApiErrorPayload {
  const o = v as Partial<ApiErrorPayload> | null;
  return typeof o === 'object' && o !== null && typeof o.message === 'string' && API_ERROR_CODES.includes(o.code as ApiErrorCode);
}

/** The text shown for an error that is not an ApiError: raw Node/SQLite texts never leave the engine. */
export const INTERNAL_MESSAGE = 'the engine failed unexpectedly (details are in its log)';

/**
 * Any thrown value as an ApiError, by its class: ApiErrors (and subclasses such as the store's) keep
 * their code and message; a UserError crosses with its own code and message; anything else is
 * `internal` with a generic message, its text kept only as the cause.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof UserError) return new ApiError(err.code, err.message, undefined, { cause: err });
  return new ApiError('internal', INTERNAL_MESSAGE, undefined, { cause: err });
}

/** An ApiError whose message lists its issues, one per line (for a terminal). */
export function describeIssues(issues: ConfigIssue[]): string {
  return issues.map((i) => `${i.path || 'config'}: ${i.message}`).join('; ');
}

/** Exit code a CLI gives for an error of this kind: the user's input (2), a held resource (75) or the engine (1). */
export function exitCodeFor(code: ApiErrorCode): number {
  if (code === 'invalid-input' || code === 'not-found') return 2;
  // Held by another process: not the user's input, not a failure of the work; sysexits' EX_TEMPFAIL.
  if (code === 'busy') return 75;
  return 1;
}
