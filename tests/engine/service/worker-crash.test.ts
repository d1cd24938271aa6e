// A worker that dies (SIGKILL, like the OOM killer) is detected at once: the run fails with a message
// naming the device, every other worker is killed (no process left behind), and the run resumes
// from its last committed checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IRIS_RUN, eventsOf, withService } from './helpers';
import { isAlive as alive, waitUntil as until } from '../../helpers/process';

test(
  'killing one worker fails the run naming the device, kills the others, and the run resumes',
  { timeout: 180_000 },
  async () => {
    await withService(async (service) => {
      const events = eventsOf(service);
      const { runId } = await service.startRun({ ...IRIS_RUN, mesh: 'batch=3', steps: 100_000, checkpointEvery: 10 });
      assert.ok(
        await until(() => events.some((e) => e.type === 'checkpoint' && e.runId === runId), 60_000),
        'a first checkpoint',
      );
      const devices = events.find((e) => e.type === 'devices' && e.runId === runId);
      assert.ok(devices && devices.type === 'devices');
      const pids = devices.devices.map((d) => d.pid);
      assert.equal(pids.length, 3);

      process.kill(pids[1]!, 'SIGKILL');
      assert.equal(await service.waitForRun(runId), 'failed');
      const run = await service.getRun(runId);
      assert.match(run.error ?? '', /device 1 worker was killed \(SIGKILL\)/);
      const crash = events.find((e) => e.type === 'worker-crash' && e.runId === runId);
      assert.ok(crash && crash.type === 'worker-crash' && crash.deviceId === 1, 'a worker-crash event for device 1');
      assert.ok(await until(() => pids.every((p) => !alive(p)), 5_000), `every worker gone (alive: ${pids.filter(alive)})`);

      const lastCheckpoint = run.checkpoints[0]!.step;
      await service.resumeRun(runId, { steps: lastCheckpoint + 5 });
      assert.equal(await service.waitForRun(runId), 'completed');
      assert.equal((await service.getRun(runId)).step, lastCheckpoint + 5);
    });
  },
);
