/**
 * Error classes named after the Python exceptions Keras raises, so messages and kinds match the spec
 * (TypeError is JavaScript's own), and the domain errors of the user's input, which extend UserError
 * (src/shared/errors.ts: it carries the code the error crosses the API with).
 */
import { UserError } from '../shared/errors';

export { UserError };

export class ValueError extends Error {
  override name = 'ValueError';
}
export class KeyError extends Error {
  override name = 'KeyError';
}
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/**
 * Keras's argument errors (ValueError, KeyError, TypeError), which a constructor or from_config raises
 * for a value it was given. Where that value is the caller's (a run config's optimizer, a schedule
 * dict, a mesh text), the caller's boundary reports them as the caller's input; anything else that
 * is thrown there is an engine failure and is left to propagate.
 */
export function isArgumentError(e: unknown): e is Error {
  return e instanceof ValueError || e instanceof KeyError || e instanceof TypeError;
}

/** Thrown for every user-facing data problem; the message is one line and names line/column if any. */
export class DatasetError extends UserError {
  override name = 'DatasetError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid-input', message, options);
  }
}

/** Where optimizer warnings go (Keras logs them); tests and the CLI can redirect them. */
export type WarningHandler = (message: string) => void;
let warningHandler: WarningHandler = (message) => console.warn(`WARNING: ${message}`);

export function setWarningHandler(handler: WarningHandler): WarningHandler {
  const previous = warningHandler;
  warningHandler = handler;
  return previous;
}

export function warn(message: string): void {
  warningHandler(message);
}
