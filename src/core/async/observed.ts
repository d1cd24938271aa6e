/**
 * Two ways of not awaiting a promise on the spot, named so that neither hides a failure by accident
 * (the linter refuses a bare `.catch(() => {})`).
 */

/**
 * Marks `p` as observed now because it is awaited later (a collective started before backward ends,
 * awaited after it): without this, a failure before that await is reported as an unhandled rejection
 * and kills the process. The failure still reaches whoever awaits `p`.
 */
export function awaitedLater(p: Promise<unknown>): void {
  p.catch(() => undefined);
}

/**
 * Waits until `p` settles, whatever its outcome: for waits whose result does not matter (a gather that
 * a shutdown or an import replaces). Say at the call site why the outcome does not matter.
 */
export function settled(p: Promise<unknown> | undefined): Promise<void> {
  return (p ?? Promise.resolve()).then(
    () => undefined,
    () => undefined,
  );
}
