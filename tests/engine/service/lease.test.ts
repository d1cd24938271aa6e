// Two dtrain processes on one database: while one trains a run, the other cannot resume it (clear
// message naming the holder); once the holder is gone (killed coordinator), resuming works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../src/engine/store/index';
import { IRIS_RUN, withService } from './helpers';

test('resume is refused while another live process holds the run, and allowed after it dies', { timeout: 120_000 }, async () => {
  await withService(async (service, dir) => {
    const { runId } = await service.startRun({ ...IRIS_RUN, steps: 4 });
    assert.equal(await service.waitForRun(runId), 'completed');

    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const store = RunStore.open(join(dir, 'runs.db'));
    try {
      assert.equal(store.acquireRunLease(runId, { pid: other.pid!, host: hostname() }).ok, true);
      await assert.rejects(
        service.resumeRun(runId, { steps: 8 }),
        new RegExp(`run ${runId} is being trained by another dtrain process \\(pid ${other.pid} on `),
      );
      assert.equal((await service.getRun(runId)).steps, 4, 'a refused resume changes nothing');
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
      await service.resumeRun(runId, { steps: 8 });
      assert.equal(await service.waitForRun(runId), 'completed');
      assert.equal((await service.getRun(runId)).step, 8);
    } finally {
      other.kill('SIGKILL');
      store.close();
    }
  });
});
