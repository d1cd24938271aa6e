/**
 * The desktop app for real: launches the built Electron app with Playwright, checks that the page
 * reaches the engine only through the preload's IPC port `window.dtrainIpc` (no Node in the page), and screenshots
 * it. Skipped, with the reason printed, where Electron cannot start (binary not downloaded, no display).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { _electron } from 'playwright-core';
import { artifactPath } from './helpers/browser';
import { REPO_ROOT } from './helpers/build-renderer';
import { displayMissing, ensureAppBuilt, findElectron } from './helpers/electron-app';

/** A fresh Electron profile and database for the test (the app honours DTRAIN_DB like the CLI). */
function electronDirs(): { DTRAIN_USER_DATA_DIR: string; DTRAIN_DB: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-electron-'));
  return { DTRAIN_USER_DATA_DIR: dir, DTRAIN_DB: join(dir, 'dtrain.db') };
}

test('the Electron app starts, serves the API over IPC and quits cleanly', { timeout: 180_000 }, async (t) => {
  const electron = findElectron();
  const reason =
    'reason' in electron ? electron.reason : displayMissing() ? 'no display (DISPLAY and WAYLAND_DISPLAY are unset)' : null;
  if (reason !== null || !('path' in electron)) {
    console.log(`skipping Electron e2e: ${reason}`);
    return t.skip(reason ?? undefined);
  }
  ensureAppBuilt();
  const app = await _electron.launch({
    executablePath: electron.path,
    // Chromium refuses to run as root with its sandbox (CI containers); elsewhere the sandbox stays on.
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), REPO_ROOT],
    cwd: REPO_ROOT,
    env: { ...process.env, ...electronDirs() },
  });
  try {
    const win = await app.firstWindow();
    await win.getByTestId('view-new').waitFor({ timeout: 60_000 });
    const isolation = await win.evaluate(() => ({
      port: Object.keys(window.dtrainIpc ?? {}).sort(),
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
    }));
    // Only the port's two functions cross the bridge: nothing of ipcRenderer, no engine methods.
    assert.deepEqual(isolation, { port: ['send', 'subscribe'], require: 'undefined', process: 'undefined' });
    // The device list reaches the form only through a listDevices call answered over IPC.
    await win.getByTestId('device-0').waitFor();
    await win.screenshot({ path: artifactPath('e2e', 'electron-new-run.png') });
    const windows = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length);
    assert.equal(windows, 1);
  } finally {
    await app.close();
  }
});
