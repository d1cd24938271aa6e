/**
 * Error classes named after the Python exceptions Keras raises, so messages and kinds match the spec.
 * TypeError is JavaScript's own.
 */
export class ValueError extends Error {
  override name = 'ValueError';
}
export class KeyError extends Error {
  override name = 'KeyError';
}
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** Thrown for every user-facing data problem; the message is one line and names line/column if any. */
export class DatasetError extends Error {
  override name = 'DatasetError';
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
