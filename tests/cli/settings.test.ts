// DTRAIN_* settings as a user meets them in a terminal: a bad value is one line and exit 2 before any
// run exists; the compute path a run is created with is recorded, shown by `dtrain show`, and kept by
// a resume in a shell without those variables; a variable set when resuming overrides it, with a note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliSandbox } from './cli-sandbox';

// The compute variables of the shell running the tests must not leak into these runs.
const clean = {
  DTRAIN_BACKEND: '',
  DTRAIN_NATIVE_BLAS: '',
  DTRAIN_COMM_THREAD: '',
  DTRAIN_VARIABLE_STORAGE: '',
  DTRAIN_DEBUG: '',
};
const { dir, dtrain: run } = cliSandbox('dtrain-settings-');

/** dtrain in a shell with these DTRAIN_* variables set (and the other compute ones empty). */
function dtrain(env: Record<string, string>, ...args: string[]) {
  const all = { ...clean, ...env };
  const saved = Object.fromEntries(Object.keys(all).map((k) => [k, process.env[k]]));
  Object.assign(process.env, all);
  try {
    return run(...args);
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

const config = join(dir, 'iris.json');
writeFileSync(
  config,
  JSON.stringify({
    model: { type: 'mlp', input: [4], layers: [{ type: 'dense', units: 3 }], loss: 'softmax_cross_entropy' },
    data: { kind: 'builtin', name: 'iris' },
    mesh: 'batch=1',
    optimizer: { learning_rate: 1 },
    steps: 2,
    globalBatchSize: 10,
    seed: 0,
  }),
);
const runCount = () => (JSON.parse(dtrain({}, 'runs', '--json').out) as unknown[]).length;

test('a bad DTRAIN_* value is one line naming the variable and what it accepts, exit 2, and no run is created', () => {
  for (const [name, value, accepts] of [
    ['DTRAIN_BACKEND', 'gpu', 'auto, tensorflow, wasm or cpu'],
    ['DTRAIN_WATCHDOG_SECONDS', 'abc', 'a number of seconds > 0'],
    ['DTRAIN_WATCHDOG_SECONDS', '0', 'a number of seconds > 0'],
    ['DTRAIN_WATCHDOG_SECONDS', '-5', 'a number of seconds > 0'],
    ['DTRAIN_COMM_THREAD', '2', '0, 1 or auto'],
    ['DTRAIN_NATIVE_BLAS', 'yes', '0 or 1'],
    ['DTRAIN_VARIABLE_STORAGE', 'gpu', 'auto, host or tensor'],
    ['DTRAIN_IMAGE_CACHE_MB', 'lots', 'a number of MiB ≥ 0'],
  ] as const) {
    const r = dtrain({ [name]: value }, 'train', '--config', config);
    assert.equal(r.code, 2, `${name}=${value}: ${r.err}`);
    assert.equal(r.err, `dtrain: error: ${name} must be ${accepts} (got '${value}')\n`);
    assert.equal(r.out, '');
  }
  // DTRAIN_BACKEND=gpu used to create the run, which then failed in its workers.
  assert.equal(runCount(), 0);
});

test('an unknown DTRAIN_* variable is a warning naming it, not an error', () => {
  const r = dtrain({ DTRAIN_BACKND: 'cpu' }, 'runs', '--json');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /^dtrain: warning: DTRAIN_BACKND is not a dtrain setting \(they are listed in docs\/settings\.md\)$/m);
});

test(
  'the compute path is recorded and shown; a resume elsewhere keeps it; a variable set there overrides it, with a note',
  { timeout: 180_000 },
  () => {
    const created = dtrain(
      { DTRAIN_BACKEND: 'cpu', DTRAIN_NATIVE_BLAS: '0', DTRAIN_VARIABLE_STORAGE: 'tensor' },
      'train',
      '--config',
      config,
    );
    assert.equal(created.code, 0, created.err);
    const runId = /run (\S+) started/.exec(created.out)![1]!;
    assert.match(created.err, /\[worker dev0 \d+\] cpu; .*; tensor storage/);

    const shown = dtrain({}, 'show', runId);
    assert.match(
      shown.out,
      /^compute {2}backend cpu, native BLAS off, communication thread auto, variable storage tensor$/m,
      shown.out,
    );
    const json = JSON.parse(dtrain({}, 'show', runId, '--json').out) as { compute: unknown };
    assert.deepEqual(json.compute, { backend: 'cpu', nativeBlas: false, commThread: 'auto', variableStorage: 'tensor' });

    // A shell without those variables: the run keeps the path it recorded (it took this shell's before).
    const kept = dtrain({}, 'resume', runId, '--steps', '4');
    assert.equal(kept.code, 0, kept.err);
    assert.match(kept.err, /\[worker dev0 \d+\] cpu; .*; tensor storage/);
    assert.doesNotMatch(kept.err, /note:/);

    // A variable set when resuming overrides the recorded choice, says so, and is recorded.
    const moved = dtrain({ DTRAIN_BACKEND: 'wasm' }, 'resume', runId, '--steps', '6');
    assert.equal(moved.code, 0, moved.err);
    assert.match(
      moved.err,
      new RegExp(`run ${runId}: note: DTRAIN_BACKEND overrides the run's recorded backend \\(cpu → wasm\\)`),
    );
    assert.match(moved.err, /\[worker dev0 \d+\] wasm; /);
    assert.match(dtrain({}, 'show', runId).out, /^compute {2}backend wasm, native BLAS off, communication thread auto/m);
  },
);
