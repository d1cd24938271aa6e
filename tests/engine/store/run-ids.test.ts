// Issue 11 item 8: a run id never starts with '-' (the CLI would read `dtrain resume -x…` as an option).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRunId } from '../../../src/engine/store/runs';
import { RunStore } from '../../../src/engine/store/index';
import { sampleConfig, tempDir } from './helpers';

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
  assert.equal(
    newRunId(() => Uint8Array.of(0, 0, 0, 0, 0, 0)),
    'AAAAAAAA',
  );
});

test("a sweep id never starts with '-' either (`dtrain sweep show -x…` read it as an option)", (t) => {
  const tmp = tempDir('sweep-ids');
  t.after(tmp.cleanup);
  // The first draw would begin with '-', the second with 'A'.
  const draws = [Uint8Array.of(0xf8, 1, 2, 3, 4, 5), Uint8Array.of(0, 0, 0, 0, 0, 1)];
  const store = RunStore.open(tmp.file('s.db'), { idBytes: () => draws.shift() ?? Uint8Array.of(0, 0, 0, 0, 0, 2) });
  t.after(() => store.close());
  const id = store.createSweep({
    name: 'ids',
    method: 'grid',
    monitor: 'val_loss',
    mode: 'min',
    space: { 'optimizer.rho': [0.9] },
    baseConfig: sampleConfig(),
    options: { trials: 1, devicesPerTrial: 1, seed: 0, eta: 3, minEvals: 1 },
    trials: [{ 'optimizer.rho': 0.9 }],
  });
  assert.equal(id, 'AAAAAAAB');
  assert.equal(store.getSweep(id).name, 'ids');
});
