// Issue 11 item 8: a run id never starts with '-' (the CLI would read `dtrain resume -x…` as an option).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRunId } from '../../../src/engine/store/runs';

test("a draw whose id would start with '-' is drawn again", () => {
  // base64url of a first byte 0b111110xx begins with '-' (index 62).
  const draws = [Uint8Array.of(0xf8, 1, 2, 3, 4, 5), Uint8Array.of(0xfb, 0, 0, 0, 0, 0), Uint8Array.of(0xfc, 0, 0, 0, 0, 0)];
  let calls = 0;
  const id = newRunId((n) => {
    assert.equal(n, 6);
    return draws[calls++]!;
  });
  assert.equal(calls, 3);
  assert.equal(id, '_AAAAAAA', "'_' may lead: only '-' reads as an option");
  assert.equal(newRunId(() => Uint8Array.of(0, 0, 0, 0, 0, 0)), 'AAAAAAAA');
});
