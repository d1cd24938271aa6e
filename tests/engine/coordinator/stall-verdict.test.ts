// The stall watchdog's verdict after its ping round, case by case (no timing involved): progress or a
// busy, answering worker resets the clock; a stopped worker is named; a deadlock names the longest
// silent; the silence reported is the one measured, never a "0 s" of a worker that just progressed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stallVerdict, type WorkerWatch } from '../../../src/engine/coordinator/stall-verdict';

const T = 1000;
const w = (deviceId: number, silentMs: number, answeredPing: boolean, cpuShare: number | null): WorkerWatch => ({
  deviceId,
  silentMs,
  answeredPing,
  cpuShare,
});

test('a step finished during the ping round: not every worker is silent, no verdict', () => {
  // Device 1 reported a step meanwhile: it is 5 ms silent (the old watchdog killed it, "0 s").
  assert.deepEqual(stallVerdict([w(0, 1400, true, 0), w(1, 5, true, 1)], T), { stalled: false, alive: false });
});

test('a worker computing a step longer than the timeout answers and uses CPU: alive, the clock restarts', () => {
  assert.deepEqual(stallVerdict([w(0, 1400, true, 0.01), w(1, 1400, true, 0.97)], T), { stalled: false, alive: true });
  assert.deepEqual(
    stallVerdict([w(0, 1400, true, null)], T),
    { stalled: false, alive: true },
    'CPU unknown: an answer is enough',
  );
});

test('a stopped worker (no answer, no CPU) is named with its own silence, even when a waiting peer has been silent longer', () => {
  assert.deepEqual(stallVerdict([w(0, 3400, true, 0.0), w(1, 3100, false, 0)], T), {
    stalled: true,
    deviceId: 1,
    silentMs: 3100,
  });
});

test('every worker answers but none computes (waiting on each other): the longest silent is named', () => {
  assert.deepEqual(stallVerdict([w(0, 2500, true, 0.01), w(1, 2600, true, 0.02), w(2, 2550, true, 0)], T), {
    stalled: true,
    deviceId: 1,
    silentMs: 2600,
  });
});

test('a busy worker that does not answer is not taken as alive (a blocking native call spinning a core)', () => {
  assert.deepEqual(stallVerdict([w(0, 2500, false, 1.0)], T), { stalled: true, deviceId: 0, silentMs: 2500 });
});
