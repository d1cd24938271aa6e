// Issue 11 item 5: dtrain as an installed package. `npm pack` the repository, install the tarball into
// an empty folder (better-sqlite3 compiles there, about a minute), and train with `npx dtrain` from it.
// Slow, so it runs only when asked (DTRAIN_INSTALL_TEST=1) or on CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const skip =
  process.env.DTRAIN_INSTALL_TEST === '1' || process.env.CI
    ? false
    : 'slow (npm pack + install, minutes): set DTRAIN_INSTALL_TEST=1 to run it';

function run(cmd: string, args: string[], cwd: string, timeout: number) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: {
      ...process.env,
      DTRAIN_DB: '',
      npm_config_yes: 'true',
      // Offline, better-sqlite3's prebuild-install waits on a download first: compile at once instead.
      npm_config_build_from_source: 'true',
    },
  });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} in ${cwd}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  return r.stdout;
}

test('npm pack → npm install <tarball> elsewhere → npx dtrain train', { skip, timeout: 360_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dtrain-install-'));
  try {
    run('npm', ['pack', '--pack-destination', dir], resolve('.'), 120_000);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    const app = join(dir, 'app');
    run('mkdir', ['-p', app], dir, 5_000);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'dtrain-install-check', private: true }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=optional', join(dir, tarball)], app, 300_000);
    const config = join(dir, 'iris.json');
    writeFileSync(
      config,
      JSON.stringify({
        model: {
          type: 'mlp',
          input: [4],
          layers: [
            { type: 'dense', units: 8, activation: 'relu' },
            { type: 'dense', units: 3 },
          ],
          loss: 'softmax_cross_entropy',
        },
        data: { kind: 'builtin', name: 'iris' },
        mesh: 'batch=2',
        optimizer: { learning_rate: 1 },
        steps: 3,
        globalBatchSize: 16,
        seed: 1,
      }),
    );
    const out = run('npx', ['dtrain', 'train', '--config', config, '--steps', '3', '--db', join(dir, 'runs.db')], app, 120_000);
    assert.match(out, /run \S+ completed at step 3/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
