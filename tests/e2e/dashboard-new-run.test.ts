/**
 * The New-run form's data preview against the real engine: what a source holds before the run
 * starts (rows, one example's shape, classes with counts), the model's input shape filled from it,
 * and a bad path explained in place.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromiumMissingReason } from './helpers/browser';
import { startDashboard } from './helpers/dashboard-server';

test('new run: the data preview describes the source and sets the model input', { timeout: 120_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) return t.skip(reason);
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-preview-'));
  const csv = join(dir, 'points.csv');
  // 2 features, labels: 3 × "a", 2 × "b", 1 × "c".
  writeFileSync(csv, 'x,y,label\n0,1,a\n1,0,b\n1,1,a\n0,0,c\n2,1,a\n1,2,b\n');
  const d = await startDashboard();
  try {
    const page = await d.open('#/new');
    await page.locator('[data-testid="data-preview"][data-state="ready"]').waitFor();
    assert.equal(await page.getByTestId('data-preview-size').textContent(), '150 rows · each [4] · classification');
    const counts = await page.locator('[data-testid="data-preview-classes"] li .muted').allTextContents();
    assert.deepEqual(counts, ['50', '50', '50']);

    await page.getByTestId('data-kind-csv').check();
    await page.getByTestId('field-data-path').fill(csv);
    await page.getByTestId('field-data-labelColumn').fill('label');
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="data-preview-size"]')?.textContent?.startsWith('6 rows'),
    );
    assert.equal(await page.getByTestId('data-preview-size').textContent(), '6 rows · each [2] · classification');
    assert.deepEqual(await page.locator('[data-testid="data-preview-classes"] li').allTextContents(), ['a 3', 'b 2', 'c 1']);
    const model = JSON.parse(await page.getByTestId('field-model').inputValue()) as { input: number[] };
    assert.deepEqual(model.input, [2], 'the model input follows the data');
    assert.match((await page.getByTestId('data-preview-note').textContent()) ?? '', /input set to \[2\]/);
    await page.screenshot({ path: '/tmp/dash-new-run-preview.png', fullPage: true });

    await page.getByTestId('field-data-path').fill(join(dir, 'missing.csv'));
    await page.getByTestId('data-preview-error').waitFor();
    assert.match((await page.getByTestId('data-preview-error').textContent()) ?? '', /missing\.csv/);
    assert.deepEqual(d.errors, [], 'no uncaught errors in the page');
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
