/**
 * The New-run form's `.keras` file picker against the real engine: an uploaded Keras 3 archive becomes
 * the model (`{"type": "keras", "path": …}`), the run starts from it with the archive's optimizer state
 * (the fixture was saved after 3 Keras steps, so the run's step-0 checkpoint has iterations 3), and a
 * corrupt file shows the engine's reason under the picker.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromiumMissingReason } from './helpers/browser';
import { startDashboard } from './helpers/dashboard-server';
import { keras3Fixtures } from '../helpers/external';
import { RunStore } from '../../src/engine/store/index';

const fixtures = keras3Fixtures();

test(
  'new run: a .keras archive picked in the form becomes the model and continues its optimizer state',
  { timeout: 180_000 },
  async (t) => {
    const reason = chromiumMissingReason() ?? ('reason' in fixtures ? fixtures.reason : undefined);
    if (reason) return t.skip(reason);
    const fixtureDir = 'dir' in fixtures ? fixtures.dir : '';
    const recorded = JSON.parse(readFileSync(join(fixtureDir, 'mlp.json'), 'utf8')) as { steps_in_archive: number };
    const dir = mkdtempSync(join(tmpdir(), 'dtrain-keras-upload-'));
    // The fixture's model takes 6 features and 4 classes: a CSV that fits it.
    const rows = [
      'a,b,c,d,e,f,label',
      ...Array.from({ length: 40 }, (_, i) => `${[1, 2, 3, 4, 5, 6].map((k) => ((i * k) % 7) / 7).join(',')},c${i % 4}`),
    ];
    writeFileSync(join(dir, 'six.csv'), rows.join('\n') + '\n');
    writeFileSync(join(dir, 'corrupt.keras'), 'this is not a zip archive');
    const d = await startDashboard();
    try {
      const page = await d.open('#/new');
      await page.getByTestId('data-kind-csv').check();
      await page.getByTestId('field-data-path').fill(join(dir, 'six.csv'));
      await page.getByTestId('field-data-labelColumn').fill('label');
      await page.getByTestId('field-steps').fill('2');
      await page.getByTestId('field-globalBatchSize').fill('8');

      // A corrupt file: the engine's reason under the picker, the model left as it was.
      await page.getByTestId('keras-archive-file').setInputFiles(join(dir, 'corrupt.keras'));
      await page.getByTestId('keras-archive-error').waitFor();
      assert.match((await page.getByTestId('keras-archive-error').textContent()) ?? '', /corrupt\.keras/);
      assert.equal(
        (JSON.parse(await page.getByTestId('field-model').inputValue()) as { type: string }).type,
        'mlp',
        'the model is left as it was',
      );

      await page.getByTestId('keras-archive-file').setInputFiles(join(fixtureDir, 'mlp.keras'));
      await page.waitForFunction(() =>
        (document.querySelector('[data-testid="field-model"]') as HTMLTextAreaElement).value.includes('"keras"'),
      );
      assert.equal(await page.getByTestId('keras-archive-error').isHidden(), true, 'the earlier error is cleared');
      const model = JSON.parse(await page.getByTestId('field-model').inputValue()) as { type: string; path: string };
      assert.equal(model.type, 'keras');
      assert.match(model.path, /\.keras$/);
      assert.deepEqual(Object.keys(model).sort(), ['path', 'type']);
      assert.equal(await page.getByTestId('keras-archive-optimizer').isChecked(), true);

      await page.getByTestId('start-run').click();
      await page.waitForURL(/#\/run(s)?\//, { timeout: 60_000 });
      const runId = decodeURIComponent(/#\/runs?\/([^/?]+)/.exec(page.url())![1]!);
      const store = RunStore.open(d.dbPath, { readonly: true });
      try {
        const run = store.getRun(runId);
        const m = run.config.model as { type: string; path: string };
        assert.equal(m.type, 'keras');
        assert.equal(m.path, model.path);
        assert.equal(run.parentId, null, 'an uploaded archive has no parent run');
        assert.equal((run.config.optimizer as { name?: string }).name, 'adadelta', "the archive's optimizer config");
        const first = store.checkpointAtStep(runId, 0);
        assert.equal(first.iterations, recorded.steps_in_archive, "the optimizer's iterations continue from the archive");
      } finally {
        store.close();
      }
      assert.deepEqual(d.errors, [], 'no uncaught errors in the page');
    } finally {
      await d.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
