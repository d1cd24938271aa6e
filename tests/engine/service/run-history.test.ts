// Each device's step time, throughput and memory over a run, as the System charts read them: sampled
// from every worker while a 2-device run trains (paced by minStepMs so it spans several samples), with
// the engine's memory estimate beside them. And the pause a paced run takes after a chunk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEVICE_SAMPLE_MS, paceDelayMs } from '../../../src/engine/coordinator/run-history';
import { RUNTIME_BYTES } from '../../../src/engine/config/memory-estimate';
import type { DeviceHistoryPoint } from '../../../src/shared/api';
import { IRIS_RUN, withService } from './helpers';

test('a paced chunk waits out the rest of steps × minStepMs; an unpaced one never waits', () => {
  assert.equal(paceDelayMs(5, 40, 30), 170);
  assert.equal(paceDelayMs(5, 40, 250), 0, 'a chunk slower than the pace is not slowed further');
  assert.equal(paceDelayMs(5, undefined, 0), 0);
  assert.equal(paceDelayMs(5, 0, 0), 0);
});

test(
  'device history of a 2-device run: every device sampled, its own batch slice per step time',
  { timeout: 120_000 },
  async () => {
    await withService(async (service) => {
      const live: DeviceHistoryPoint[] = [];
      service.subscribe((e) => e.type === 'device-history' && live.push(...e.points));
      // 24 examples over 2 devices: 12 each. 60 steps at ≥ 40 ms: at least 2.4 s, so several samples.
      const { runId } = await service.startRun({ ...IRIS_RUN, steps: 60, minStepMs: 40, checkpointEvery: 0 });
      assert.equal(await service.waitForRun(runId), 'completed');
      const { memoryEstimateBytes, points } = await service.getDeviceHistory(runId);
      assert.deepEqual(points, live, 'the same samples were streamed as they were taken');
      assert.ok(memoryEstimateBytes !== null && memoryEstimateBytes > RUNTIME_BYTES, `estimate ${memoryEstimateBytes}`);
      for (const deviceId of [0, 1]) {
        const mine = points.filter((p) => p.deviceId === deviceId);
        assert.ok(mine.length >= 2, `device ${deviceId}: ${mine.length} samples over a run of more than ${DEVICE_SAMPLE_MS} ms`);
        assert.equal(mine.at(-1)!.step, 60, 'the last step is sampled when the run ends');
        mine.forEach((p, i) => {
          if (i > 0) assert.ok(p.step > mine[i - 1]!.step && p.time >= mine[i - 1]!.time);
          assert.ok(Math.abs((p.samplesPerSec * p.stepTimeMs) / 1000 - 12) < 1e-9, `12 examples per step on device ${deviceId}`);
          assert.ok(p.rssBytes > 0 && p.peakRssBytes >= p.rssBytes, `peak ${p.peakRssBytes} ≥ now ${p.rssBytes}`);
        });
      }
    });
  },
);
