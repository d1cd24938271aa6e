// `dtrain train --check-loss-falls`, the smoke test CI's main job runs: exit 0 with the line saying
// how far the loss fell, exit 1 (and why) for a run that does not learn (learning rate 0 here; stale
// weights on a machine without OpenBLAS looked like this).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliSandbox } from './cli-sandbox';

const { dir, dtrain } = cliSandbox('dtrain-falls-');
const iris = JSON.parse(readFileSync('resources/configs/iris-mlp.json', 'utf8')) as Record<string, unknown>;

test('--check-loss-falls passes a run that learns and fails one that does not', { timeout: 180_000 }, () => {
  const learns = join(dir, 'learns.json');
  writeFileSync(learns, JSON.stringify({ ...iris, steps: 60 }));
  const ok = dtrain('train', '--config', learns, '--check-loss-falls', '--devices', '1');
  assert.equal(ok.code, 0, ok.err);
  const [, first, last] = /^loss fell from (\d+\.\d+) to (\d+\.\d+)$/m.exec(ok.out) ?? [];
  assert.ok(Number(last) < 0.9 * Number(first), ok.out);

  const flat = join(dir, 'flat.json');
  writeFileSync(flat, JSON.stringify({ ...iris, steps: 20, optimizer: { learning_rate: 0.0 } }));
  const bad = dtrain('train', '--config', flat, '--check-loss-falls', '--devices', '1');
  assert.equal(bad.code, 1, bad.out + bad.err);
  assert.match(
    bad.err,
    /^dtrain: --check-loss-falls: the loss did not fall: \d+\.\d+ over the first tenth of the steps, \d+\.\d+ over the last$/m,
  );
});
