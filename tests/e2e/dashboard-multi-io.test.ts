/**
 * The run page of a Keras model with two inputs and two outputs (issue 20): a real run (two worker
 * processes, named npz arrays, a held-out fraction) shows a chart per figure Keras names — `loss`,
 * `<output>_loss` and `<output>_<metric>`, each with its `val_` twin — titled by that name; duplicated
 * into the New-run form, its named arrays show as JSON and an edit of them stays an object.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeNpz } from '../../src/core/data/index';
import { Rng } from '../../src/core/random/stream';
import type { RunConfig } from '../../src/shared/api';
import { testSeed } from '../helpers/seed';
import { artifactPath, chromiumMissingReason } from './helpers/browser';
import { REPO_ROOT } from './helpers/build-renderer';
import { startDashboard } from './helpers/dashboard-server';

const FIGURES = ['department_loss', 'priority_loss', 'department_accuracy', 'priority_mae'];

test('run page: a chart per Keras-named figure of a two-output model', { timeout: 240_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) return t.skip(reason);
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-dash-multi-io-'));
  const d = await startDashboard();
  try {
    const rng = new Rng(testSeed('dashboard multi-io data'));
    const n = 16;
    writeFileSync(
      join(dir, 'd.npz'),
      encodeNpz([
        {
          name: 'numeric',
          values: Float32Array.from({ length: n * 3 }, () => rng.nextGaussian()),
          dtype: 'float32',
          shape: [n, 3],
        },
        { name: 'body', values: Int32Array.from({ length: n * 6 }, () => rng.nextInt(20)), dtype: 'int32', shape: [n, 6] },
        {
          name: 'priority',
          values: Float32Array.from({ length: n * 2 }, () => rng.nextGaussian()),
          dtype: 'float32',
          shape: [n, 2],
        },
        { name: 'department', values: Int32Array.from({ length: n }, () => rng.nextInt(4)), dtype: 'int32', shape: [n] },
      ]),
    );
    const json = JSON.parse(readFileSync(join(REPO_ROOT, 'tests', 'cli', 'fixtures', 'multi-io-model.json'), 'utf8')) as unknown;
    const config = {
      name: 'two in, two out',
      model: { type: 'keras', json },
      data: {
        kind: 'npz',
        path: join(dir, 'd.npz'),
        x: { numeric: 'numeric', body: 'body' },
        y: { priority: 'priority', department: 'department' },
        validation: { fraction: 0.25 },
      },
      mesh: 'batch=2',
      optimizer: { learning_rate: 1.0 },
      steps: 4,
      globalBatchSize: 4,
      seed: 1,
      evalEvery: 2,
      checkpointEvery: 0,
    } as unknown as RunConfig;
    const { runId } = await d.service.startRun(config);
    assert.equal(await d.service.waitForRun(runId), 'completed', (await d.service.getRun(runId)).error ?? '');
    const page = await d.open(`#/run/${runId}`, { width: 1280, height: 1000 });
    for (const name of FIGURES) {
      const title = name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, ' ');
      // Titled by the figure's name, with its val_ twin once the points have arrived.
      await page
        .getByTestId(`chart-metric-${name}`)
        .filter({ hasText: title })
        .filter({ hasText: `val_${name}` })
        .waitFor();
    }
    await page.screenshot({ path: artifactPath('e2e', 'run-multi-io.png'), fullPage: true });

    // Duplicated into the New-run form: the named arrays show as JSON, and an edit stays an object.
    const form = await d.open(`#/new/${runId}`, { width: 1280, height: 1000 });
    await form
      .getByTestId('form-status')
      .filter({ hasText: /^Settings copied/ })
      .waitFor();
    const xField = form.getByTestId('field-data-npz-x');
    assert.deepEqual(JSON.parse(await xField.inputValue()), { numeric: 'numeric', body: 'body' });
    await xField.fill('{"body": "body", "numeric": "numeric_v2"}');
    await form.getByTestId('new-run-mode-json').click();
    const edited = JSON.parse(await form.getByTestId('config-json-text').inputValue()) as RunConfig;
    assert.deepEqual((edited.data as { x: unknown }).x, { body: 'body', numeric: 'numeric_v2' });
    await form.close();
    assert.deepEqual(d.errors, [], 'no uncaught errors in the page');
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
