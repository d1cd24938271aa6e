/**
 * Web mode end to end, against the real engine: createTrainerService (worker processes, SQLite)
 * behind startServer, driven in Chromium. Two runs (one on 2 devices), live loss points, pause /
 * resume / stop, history, compare, CSV export. Screenshots go to test-results/e2e/.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/engine/serve/index';
import { createTrainerService } from '../../src/engine/service/index';
import { readKerasArchive } from '../../src/engine/keras/archive';
import { optimizerVars } from '../../src/engine/keras/weights-file';
import { artifactPath, chromiumMissingReason, launchChromium } from './helpers/browser';
import { REPO_ROOT, buildRenderer } from './helpers/build-renderer';
import { startRunFromForm, waitForLossPoints, waitForStatus } from './helpers/pages';

const shot = (page: Page, name: string) => page.screenshot({ path: artifactPath('e2e', `${name}.png`), fullPage: true });

test('web mode: train, control, compare and export runs in a browser', { timeout: 300_000 }, async (t) => {
  const reason = chromiumMissingReason();
  if (reason) {
    console.log(`skipping web e2e: ${reason}`);
    return t.skip(reason);
  }
  const logs: string[] = [];
  const service = await createTrainerService({
    dbPath: join(mkdtempSync(join(tmpdir(), 'dtrain-e2e-')), 'dtrain.sqlite'),
    processHost: 'node',
    workerEntry: resolve(REPO_ROOT, 'src/workers/device-worker.ts'),
    log: (line: string) => logs.push(line),
  });
  let server: RunningServer | null = null;
  let browser: Browser | null = null;
  try {
    server = await startServer({ api: service, subscribe: (l) => service.subscribe(l), staticDir: await buildRenderer() });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, colorScheme: 'light', acceptDownloads: true });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    expectedDoctorSummary = (await service.doctor()).summary;
    await page.goto(server.url);
    await page.getByTestId('view-new').waitFor();
    assert.equal(new URL(page.url()).searchParams.get('token'), null, 'the token is hidden from the address bar');
    await t.test('the form explains problems inline and imports a Keras config', () => formValidationAndImport(page));
    await t.test('a 2-device run streams loss points', () => runTwoDevices(page));
    await t.test('a second run, then history, compare and CSV export', () => historyCompareExport(page));
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  } catch (err) {
    console.log(logs.slice(-40).join('\n'));
    throw err;
  } finally {
    await browser?.close();
    await server?.close();
    await service.shutdown();
  }
});

let firstRun = '';
let expectedDoctorSummary = '';

const KERAS_CONFIG = JSON.stringify({
  name: 'Adadelta',
  weight_decay: null,
  clipnorm: null,
  global_clipnorm: 1.0,
  clipvalue: null,
  use_ema: true,
  ema_momentum: 0.9,
  ema_overwrite_frequency: null,
  jit_compile: false,
  is_legacy_optimizer: false,
  rho: 0.9,
  epsilon: 1e-6,
  learning_rate: {
    module: 'keras.optimizers.schedules',
    class_name: 'ExponentialDecay',
    registered_name: null,
    config: { initial_learning_rate: 1.0, decay_steps: 100, decay_rate: 0.5, staircase: true, name: null },
  },
});

async function formValidationAndImport(page: Page): Promise<void> {
  await page.getByTestId('device-0').waitFor();
  // The device panel's machine check is the engine's `dtrain doctor` report, carried over the WebSocket.
  const summary = page.getByTestId('doctor-summary');
  await summary.filter({ hasText: /GPU/ }).waitFor();
  assert.equal(await summary.textContent(), expectedDoctorSummary);
  assert.ok((await page.getByTestId('doctor-workers').locator('li').count()) >= 1, 'the planned workers are listed');
  await page.getByTestId('field-steps').fill('ten');
  await page.getByTestId('start-run').click();
  await page.getByTestId('error-steps').waitFor();
  assert.match((await page.getByTestId('error-steps').textContent()) ?? '', /whole number/);
  assert.equal(await page.getByTestId('field-steps').getAttribute('aria-invalid'), 'true');
  assert.ok(await page.getByTestId('issue-summary').isVisible());
  await page.getByTestId('field-steps').fill('100');

  // The engine's own check: a model without an input shape is refused next to the model field.
  await page.getByTestId('field-model').fill('{ "type": "mlp", "layers": [] }');
  await page.getByTestId('validate-run').click();
  await page.getByTestId('error-model').waitFor();
  assert.match((await page.getByTestId('issue-summary').textContent()) ?? '', /model/);
  await shot(page, 'new-run-issues');
  await page.getByTestId('preset-mlp').click();

  await page.locator('[data-testid="import-details"] summary').click();
  await page.getByTestId('import-json').fill(KERAS_CONFIG);
  await page.getByTestId('import-optimizer').click();
  await page.getByText(/^Imported\./).waitFor();
  assert.equal(await page.getByTestId('field-lr-type').inputValue(), 'ExponentialDecay');
  assert.equal(await page.getByTestId('field-optimizer-rho').inputValue(), '0.9');
  assert.equal(await page.getByTestId('field-optimizer-global_clipnorm').inputValue(), '1');
  await page.getByTestId('lr-preview').locator('canvas').first().waitFor();
  await waitForLossPoints(page, 100, 'lr-preview');
  await page.getByTestId('validate-run').click();
  await page.getByText('The config is valid.').waitFor();
  await shot(page, 'new-run-imported');
}

async function runTwoDevices(page: Page): Promise<void> {
  firstRun = await startRunFromForm(page, { name: 'e2e-two-devices', devices: 2, steps: 1_000_000 });
  await waitForStatus(page, 'running');
  const points = await waitForLossPoints(page, 5);
  assert.ok(points >= 5);
  await page.locator('[data-testid="device-table"] tbody tr').nth(1).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('[data-testid="device-table"] tbody tr').count(), 2, 'one row per device');
  await shot(page, 'live-running');

  await page.getByTestId('pause-run').click();
  await waitForStatus(page, 'paused');
  await page.locator('[data-testid="checkpoint-table"] tbody tr').first().waitFor({ timeout: 30_000 });
  const pausedAt = await waitForLossPoints(page, 1);
  await shot(page, 'live-paused');

  await page.keyboard.press('p'); // the shortcut resumes
  await waitForStatus(page, 'running');
  await waitForLossPoints(page, pausedAt + 3);

  await page.getByTestId('stop-run').click();
  await page.getByTestId('stop-confirm').click();
  await waitForStatus(page, 'stopped');
  await page.getByTestId('theme-toggle').click();
  await shot(page, 'live-stopped-dark');
  await page.getByTestId('theme-toggle').click();
}

async function historyCompareExport(page: Page): Promise<void> {
  const second = await startRunFromForm(page, { name: 'e2e-one-device', devices: 1, steps: 1_000_000, learningRate: '0.5' });
  await waitForLossPoints(page, 5);
  await page.getByTestId('stop-run').click();
  await page.getByTestId('stop-confirm').click();
  await waitForStatus(page, 'stopped');

  await page.getByTestId('nav-runs').click();
  await page.getByTestId('runs-table').waitFor();
  for (const id of [firstRun, second]) {
    await page.locator(`[data-testid="run-status-${id}"][data-status="stopped"]`).waitFor();
    assert.notEqual(await page.getByTestId(`run-loss-${id}`).textContent(), '—', 'last loss shown');
  }
  await shot(page, 'runs');

  await page.getByTestId(`select-run-${firstRun}`).check();
  await page.getByTestId(`select-run-${second}`).check();
  await page.getByTestId('compare-runs').click();
  await page.getByTestId('diff-table').waitFor();
  const diff = await page.getByTestId('diff-table').textContent();
  assert.match(diff ?? '', /0\.5/, 'the learning rate differs');
  assert.match(diff ?? '', /batch=2/, 'the mesh differs');
  await waitForLossPoints(page, 5, 'compare-chart');
  await shot(page, 'compare');

  await page.getByTestId('nav-runs').click();
  await page.getByTestId(`run-menu-${firstRun}`).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`run-csv-${firstRun}`).click()]);
  const csvPath = artifactPath('e2e', 'e2e-two-devices-metrics.csv');
  await download.saveAs(csvPath);
  const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
  assert.match(lines[0], /step/i, 'a header row');
  assert.ok(lines.length > 5, 'one row per reported step');

  // The run as a Keras 3 archive, downloaded by the browser: a real archive with the optimizer state.
  await page.getByTestId(`run-menu-${firstRun}`).click();
  const [kerasDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`run-keras-${firstRun}`).click()]);
  assert.match(kerasDownload.suggestedFilename(), /\.keras$/);
  const kerasPath = artifactPath('e2e', 'e2e-two-devices.keras');
  await kerasDownload.saveAs(kerasPath);
  const archive = await readKerasArchive(new Uint8Array(readFileSync(kerasPath)), kerasPath);
  assert.equal((archive.config.compile_config as { optimizer: { class_name: string } }).optimizer.class_name, 'Adadelta');
  assert.ok(optimizerVars(archive.weights, kerasPath)!.vars.length > 1, 'optimizer variables are in the archive');

  await page.getByTestId(`open-run-${firstRun}`).click();
  await page.getByTestId('view-live').waitFor();
  assert.ok((await waitForLossPoints(page, 5)) >= 5, 'a reopened run shows its history');
}
