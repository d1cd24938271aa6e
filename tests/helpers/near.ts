import assert from 'node:assert/strict';

/** Each element within tol·(1 + |want|) of the reference: float32 results against float64. */
export function assertNearEach(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    assert.ok(err <= tol * (1 + Math.abs(want[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]} (error ${err})`);
  }
}
