/**
 * The one error contract of the engine's API. Every failure that crosses a boundary (IPC, WebSocket,
 * the CLI's exit code) is an ApiError with a kind, so a front end can tell "you typed something
 * wrong" from "the engine broke" without parsing messages.
 */
import type { ConfigIssue } from './api';

export type ApiErrorCode = 'invalid-input' | 'not-found' | 'conflict' | 'busy' | 'internal';

/** What crosses a process or network boundary (structured-clone and JSON safe). */
export interface ApiErrorPayload {
  code: ApiErrorCode;
  message: string;
  /** Field-level problems (dotted config paths), for inline messages in forms. */
  issues?: ConfigIssue[];
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly issues?: ConfigIssue[],
  ) {
    super(message);
  }

  toPayload(): ApiErrorPayload {
    return { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) };
  }

  static fromPayload(p: ApiErrorPayload): ApiError {
    return new ApiError(p.code, p.message, p.issues);
  }
}

export const invalidInput = (message: string, issues?: ConfigIssue[]): ApiError => new ApiError('invalid-input', message, issues);
export const notFound = (message: string): ApiError => new ApiError('not-found', message);
export const conflict = (message: string): ApiError => new ApiError('conflict', message);

export function isApiErrorPayload(v: unknown): v is ApiErrorPayload {
  const o = v as Partial<ApiErrorPayload> | null;
  return typeof o === 'object' && o !== null && typeof o.message === 'string' && ['invalid-input', 'not-found', 'conflict', 'busy', 'internal'].includes(o.code as string);
}

/** Exit code a CLI gives for an error of this kind: the user's input (2) or the engine (1). */
export function exitCodeFor(code: ApiErrorCode): number {
  return code === 'invalid-input' || code === 'not-found' ? 2 : 1;
}
