// Issue 11 item 8: a pause that lands on a scheduled checkpoint's step stores one checkpoint for that
// step (not two, which keep-last-K would pay for with an older one); the watchdog timeout is a setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IRIS_RUN, eventsOf, withService } from './helpers';
import { parseRun } from '../../../src/engine/config/parse-run';
import { readSettings } from '../../../src/shared/settings';
import type { RunConfig } from '../../../src/shared/api';

/** The run's watchdog as parseRun resolves it in a process with this environment. */
async function watchdogMs(config: RunConfig, env: Record<string, string>): Promise<number> {
  const run = await parseRun(config, { settings: readSettings(env) });
  assert.ok(!Array.isArray(run), JSON.stringify(run));
  return run.watchdogMs;
}

test(
  'a pause on a scheduled checkpoint step keeps one checkpoint per step and the older ones',
  { timeout: 180_000 },
  async () => {
    await withService(async (service) => {
      const events = eventsOf(service);
      // Chunks end at multiples of checkpointEvery (5), so wherever the pause lands, a checkpoint is due there.
      const { runId } = await service.startRun({ ...IRIS_RUN, steps: 10_000, checkpointEvery: 5, keepCheckpoints: 2 });
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (events.some((e) => e.type === 'checkpoint' && e.runId === runId && e.checkpoint.step >= 10)) {
            clearInterval(timer);
            resolve();
          }
        }, 5);
      });
      await service.pauseRun(runId);
      assert.equal(await service.waitForRun(runId), 'paused');
      const run = await service.getRun(runId);
      assert.equal(run.step % 5, 0, `paused at ${run.step}`);
      assert.deepEqual(
        run.checkpoints.map((c) => c.step),
        [run.step - 5, run.step],
        'the two newest steps, each once',
      );

      await service.resumeRun(runId);
      await service.pauseRun(runId); // at once: the resumed run pauses at the step it restored
      assert.equal(await service.waitForRun(runId), 'paused');
      assert.deepEqual(
        (await service.getRun(runId)).checkpoints.map((c) => c.step),
        [run.step - 5, run.step],
        'no second checkpoint of the restored step',
      );
    });
  },
);

test('the stall watchdog: watchdogSeconds, else $DTRAIN_WATCHDOG_SECONDS, else 120 s; a bad variable is refused', async () => {
  assert.equal(await watchdogMs({ ...IRIS_RUN }, {}), 120_000);
  assert.equal(await watchdogMs({ ...IRIS_RUN }, { DTRAIN_WATCHDOG_SECONDS: '7.5' }), 7_500);
  assert.equal(await watchdogMs({ ...IRIS_RUN, watchdogSeconds: 30 }, { DTRAIN_WATCHDOG_SECONDS: '7' }), 30_000);
  // It was silently 120 s.
  assert.throws(() => readSettings({ DTRAIN_WATCHDOG_SECONDS: 'soon' }), {
    message: "DTRAIN_WATCHDOG_SECONDS must be a number of seconds > 0 (got 'soon')",
  });
  await withService(async (service) => {
    assert.deepEqual(await service.validateRunConfig({ ...IRIS_RUN, watchdogSeconds: 0 }), [
      { path: 'watchdogSeconds', message: 'watchdogSeconds must be a number of seconds > 0 (got 0)' },
    ]);
    assert.deepEqual(await service.validateRunConfig({ ...IRIS_RUN, watchdogSeconds: 45 }), []);
  });
});
