// The DTRAIN_* settings: each variable parsed to its typed value, a bad one refused in one line naming
// it and what it accepts, empty meaning unset; and docs/settings.md lists every variable as the table does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NO_SETTINGS, SETTINGS, readSettings, unknownVariables } from '../../src/shared/settings';

test('no variable: nothing set; empty values count as unset', () => {
  assert.deepEqual(readSettings({}), NO_SETTINGS);
  assert.deepEqual(readSettings(Object.fromEntries(SETTINGS.map((s) => [s.name, '']))), NO_SETTINGS);
});

test('every variable to its typed value', () => {
  const s = readSettings({
    DTRAIN_DB: 'runs.db',
    DTRAIN_CACHE_DIR: '/c',
    DTRAIN_IMAGE_CACHE_MB: '64',
    DTRAIN_DATASETS_DIR: '/d',
    DTRAIN_USER_DATA_DIR: '/u',
    DTRAIN_DASHBOARD_DIR: '/r',
    DTRAIN_DEBUG: '1',
    DTRAIN_WATCHDOG_SECONDS: '2.5',
    DTRAIN_LEASE_SECONDS: '90',
    DTRAIN_DB_BUSY_SECONDS: '0.5',
    DTRAIN_BACKEND: 'cpu',
    DTRAIN_NATIVE_BLAS: '0',
    DTRAIN_COMM_THREAD: '1',
    DTRAIN_VARIABLE_STORAGE: 'tensor',
  });
  assert.deepEqual(s, {
    db: 'runs.db',
    cacheDir: '/c',
    imageCacheMb: 64,
    datasetsDir: '/d',
    userDataDir: '/u',
    dashboardDir: '/r',
    debug: true,
    watchdogSeconds: 2.5,
    leaseSeconds: 90,
    dbBusySeconds: 0.5,
    compute: { backend: 'cpu', nativeBlas: false, commThread: 'on', variableStorage: 'tensor' },
  });
  assert.deepEqual(readSettings({ DTRAIN_COMM_THREAD: '0' }).compute, { commThread: 'off' });
  assert.deepEqual(readSettings({ DTRAIN_COMM_THREAD: 'auto', DTRAIN_BACKEND: 'auto' }).compute, {
    commThread: 'auto',
    backend: 'auto',
  });
});

test('a bad value is one invalid-input line naming the variable and what it accepts', () => {
  for (const [name, value, accepts] of [
    ['DTRAIN_WATCHDOG_SECONDS', 'abc', 'a number of seconds > 0'],
    ['DTRAIN_WATCHDOG_SECONDS', '0', 'a number of seconds > 0'],
    ['DTRAIN_WATCHDOG_SECONDS', '-5', 'a number of seconds > 0'],
    ['DTRAIN_WATCHDOG_SECONDS', 'Infinity', 'a number of seconds > 0'],
    ['DTRAIN_WATCHDOG_SECONDS', ' ', 'a number of seconds > 0'],
    ['DTRAIN_LEASE_SECONDS', '0.5', 'a number of seconds ≥ 1'],
    ['DTRAIN_LEASE_SECONDS', 'soon', 'a number of seconds ≥ 1'],
    ['DTRAIN_DB_BUSY_SECONDS', '-1', 'a number of seconds ≥ 0'],
    ['DTRAIN_BACKEND', 'gpu', 'auto, tensorflow, wasm or cpu'],
    ['DTRAIN_COMM_THREAD', '2', '0, 1 or auto'],
    ['DTRAIN_NATIVE_BLAS', 'off', '0 or 1'],
    ['DTRAIN_VARIABLE_STORAGE', 'device', 'auto, host or tensor'],
    ['DTRAIN_DEBUG', 'yes', '0 or 1'],
    ['DTRAIN_IMAGE_CACHE_MB', 'lots', 'a number of MiB ≥ 0'],
    ['DTRAIN_IMAGE_CACHE_MB', '-1', 'a number of MiB ≥ 0'],
    ['DTRAIN_IMAGE_CACHE_MB', ' ', 'a number of MiB ≥ 0'],
  ] as const) {
    assert.throws(() => readSettings({ [name]: value }), {
      code: 'invalid-input',
      message: `${name} must be ${accepts} (got '${value}')`,
    });
  }
});

test('an unknown DTRAIN_* name is found (a typo would be ignored in silence); others are not ours', () => {
  assert.deepEqual(unknownVariables({ DTRAIN_BACKND: 'cpu', DTRAIN_BACKEND: 'cpu', PATH: '/bin', XDG_DATA_HOME: '/x' }), [
    'DTRAIN_BACKND',
  ]);
});

test('docs/settings.md has one row per variable, with what it accepts and its default', () => {
  const doc = readFileSync('docs/settings.md', 'utf8');
  const rows = doc.split('\n').filter((l) => l.startsWith('| `DTRAIN_'));
  assert.deepEqual(
    rows.map((r) => /^\| `(DTRAIN_\w+)`/.exec(r)![1]),
    SETTINGS.map((s) => s.name),
  );
  for (const s of SETTINGS) {
    const row = rows.find((r) => r.startsWith(`| \`${s.name}\``))!;
    assert.ok(row.includes(s.accepts) && row.includes(s.default), `${s.name}: ${row}`);
  }
});
