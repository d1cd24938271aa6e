// Issue 11 item 6: the dashboard's Export (no folder given) gives every run, and every export of a run,
// its own new folder instead of overwriting one shared exports/ folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { IRIS_RUN, withService } from './helpers';

test('exports without a folder go to a new folder per run and per export', { timeout: 180_000 }, async () => {
  await withService(async (service) => {
    const { runId: a } = await service.startRun({ ...IRIS_RUN, name: 'first', steps: 2, mesh: 'batch=1' });
    const { runId: b } = await service.startRun({ ...IRIS_RUN, name: 'second', steps: 2, mesh: 'batch=1' });
    assert.equal(await service.waitForRun(a), 'completed');
    assert.equal(await service.waitForRun(b), 'completed');
    const one = await service.exportRun(a);
    const two = await service.exportRun(b);
    const again = await service.exportRun(a);
    assert.equal(basename(one.dir), `first-${a}`);
    assert.equal(basename(two.dir), `second-${b}`);
    assert.equal(basename(again.dir), `first-${a}-2`);
    assert.equal(dirname(one.dir), dirname(two.dir));
    for (const dir of [one.dir, two.dir, again.dir]) assert.ok(readdirSync(dir).includes('model.keras'), dir);
    assert.equal(JSON.parse(readFileSync(`${two.dir}/run.json`, 'utf8')).id, b, 'the second export did not overwrite the first');
  });
});
