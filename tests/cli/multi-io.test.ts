// `dtrain train` on a Keras model with two inputs and two outputs, as a Keras user's data comes: one
// .npz key per input and per target (`"x": {"numeric": …, "body": …}`, `"y": {"priority": …,
// "department": …}`). Real CLI, real worker processes: it trains on 2 devices and prints Keras's
// per-output figures; a missing input, an output name the model lacks and arrays of unequal rows
// are one issue line each and exit code 2. The model is Keras 3's own `to_json()` with its compile_config
// (tests/cli/fixtures/multi-io-model.json, from tests/helpers/keras_multi_io.py's build()).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNpz, encodeNpz } from '../../src/core/data/index';
import { cliSandbox } from './cli-sandbox';
import { testSeed } from '../helpers/seed';
import { Rng } from '../../src/core/random/stream';

const { dir, dtrain } = cliSandbox('dtrain-multi-io-');
const seed = testSeed('multi-io cli data');
const rng = new Rng(seed);

/** Rows of the four arrays; `bodyRows` differs to make the rows disagree. */
function writeData(file: string, n: number, bodyRows = n): void {
  writeFileSync(
    join(dir, file),
    encodeNpz([
      {
        name: 'numeric',
        values: Float32Array.from({ length: n * 3 }, () => rng.nextGaussian()),
        dtype: 'float32',
        shape: [n, 3],
      },
      {
        name: 'body',
        values: Int32Array.from({ length: bodyRows * 6 }, () => rng.nextInt(20)),
        dtype: 'int32',
        shape: [bodyRows, 6],
      },
      {
        name: 'priority',
        values: Float32Array.from({ length: n * 2 }, () => rng.nextGaussian()),
        dtype: 'float32',
        shape: [n, 2],
      },
      { name: 'department', values: Int32Array.from({ length: n }, () => rng.nextInt(4)), dtype: 'int32', shape: [n] },
    ]),
  );
}

writeFileSync(join(dir, 'model.json'), readFileSync(join('tests', 'cli', 'fixtures', 'multi-io-model.json')));
writeData('d.npz', 16);
writeData('uneven.npz', 16, 15);

function config(name: string, data: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      model: { type: 'keras', jsonPath: 'model.json' },
      data: {
        kind: 'npz',
        path: 'd.npz',
        x: { numeric: 'numeric', body: 'body' },
        y: { priority: 'priority', department: 'department' },
        ...data,
      },
      mesh: 'batch=2',
      optimizer: { learning_rate: 1.0 },
      steps: 3,
      globalBatchSize: 8,
      seed: 1,
      checkpointEvery: 0,
      ...extra,
    }),
  );
  return file;
}

test(
  'trains on 2 devices (gathered, as "auto" plans it), printing <output>_loss and <output>_<metric>, val_ too; evaluate names them',
  { timeout: 180_000 },
  () => {
    const r = dtrain('train', '--config', config('ok', { validation: { fraction: 0.25 } }));
    assert.equal(r.code, 0, r.err);
    const figures = ['department_loss', 'priority_loss', 'department_accuracy', 'priority_mae'];
    for (const name of [...figures, ...figures.map((f) => `val_${f}`)])
      assert.match(r.out + r.err, new RegExp(`\\b${name}[ =:]+\\d`), `progress names ${name}`);
    const runId = /run (\S+) started on mesh batch=2/.exec(r.out)![1]!;
    assert.match(dtrain('show', runId).out, /memory {3}parameters gathered/);
    // `evaluate` on the held-out part, and on another file with the same named arrays.
    const evaluated = dtrain('evaluate', runId);
    assert.equal(evaluated.code, 0, evaluated.err);
    for (const name of figures) assert.match(evaluated.out, new RegExp(`\\b${name}[ =:]+\\d`), `evaluate names ${name}`);
    writeData('other.npz', 12);
    const other = dtrain('evaluate', runId, '--data', join(dir, 'other.npz'));
    assert.equal(other.code, 0, other.err);
    assert.match(other.out, /on other \(12 examples\): loss \d/);
  },
);

function refused(name: string, data: Record<string, unknown>, expect: RegExp): void {
  const r = dtrain('train', '--config', config(name, data));
  assert.equal(r.code, 2, `${name}: exit ${r.code}\n${r.out}\n${r.err}`);
  // The CLI's form: a header naming the config, then one line per issue.
  const [header, ...issues] = r.err.trim().split('\n');
  assert.match(header!, /^dtrain: error: invalid config .*:$/);
  assert.equal(issues.length, 1, `${name}: one issue, got:\n${r.err}`);
  assert.match(issues[0]!, expect);
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
}

test('an input given no array is one line, exit 2', { timeout: 60_000 }, () => {
  refused('missing-input', { x: { numeric: 'numeric' } }, /input "body" is given no array in data\.x/);
});

test('an output name the model lacks is one line with a did-you-mean, exit 2', { timeout: 60_000 }, () => {
  refused(
    'unknown-output',
    { y: { priority: 'priority', departmnt: 'department' } },
    /"departmnt" is not an output of the model \(did you mean "department"\?\)/,
  );
});

test('arrays of unequal rows are one line, exit 2', { timeout: 60_000 }, () => {
  refused('uneven', { path: 'uneven.npz' }, /x\.body \('body'\) has 15 rows but .* has 16/);
});

test('"fullySharded": true is refused in one line naming why', { timeout: 60_000 }, () => {
  const r = dtrain('train', '--config', config('sharded', {}, { fullySharded: true }));
  assert.equal(r.code, 2, `exit ${r.code}\n${r.out}\n${r.err}`);
  assert.match(
    r.err,
    /"fullySharded": true: model "functional" has 2 inputs and 2 outputs, which fully sharded units .* do not carry/,
  );
  assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
});

test(
  'an output without a loss or metrics: its targets kept in the stored config, never read (training, evaluate); export --cluster leaves them out',
  { timeout: 180_000 },
  () => {
    // department's targets are given (as Keras's fit is given them) and not read: no department figure.
    const model = { type: 'keras', jsonPath: 'model.json', loss: ['mse', null], metrics: { priority: ['mae'] } };
    const r = dtrain('train', '--config', config('unlossed', {}, { model }));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out + r.err, /\bpriority_mae[ =:]+\d/);
    // One output with a loss: Keras reports `loss` alone, no <output>_loss.
    assert.doesNotMatch(r.out + r.err, /priority_loss|department_/);
    const runId = /run (\S+) started on mesh batch=2/.exec(r.out)![1]!;
    // The run stores data.y as written; the unread targets are left out only where the data are packed.
    const shown = JSON.parse(dtrain('show', runId, '--json').out) as { config: { data: { y: unknown } } };
    assert.deepEqual(shown.config.data.y, { priority: 'priority', department: 'department' });
    const evaluated = dtrain('evaluate', runId);
    assert.equal(evaluated.code, 0, evaluated.err);
    assert.match(evaluated.out, /\bpriority_mae[ =:]+\d/);
    // A whole source for --data, naming department's targets as the run's data does: not read either.
    const source = { kind: 'npz', path: join(dir, 'd.npz'), x: { numeric: 'numeric', body: 'body' } };
    const y = { priority: 'priority', department: 'department' };
    const other = dtrain('evaluate', runId, '--data', JSON.stringify({ ...source, y }));
    assert.equal(other.code, 0, other.err);
    assert.match(other.out, /on d \(16 examples\): loss \d.*\bpriority_mae[ =:]+\d/);
    const cluster = join(dir, 'to-cluster');
    const e = dtrain('export', runId, '--cluster', cluster);
    assert.equal(e.code, 0, e.err);
    const npz = decodeNpz(new Uint8Array(readFileSync(join(cluster, 'data.npz'))));
    assert.deepEqual([...npz.keys()].sort(), ['order', 'x.body', 'x.numeric', 'y.priority']);
    const body = npz.get('x.body')!();
    assert.deepEqual([body.dtype, body.shape], ['int32', [16, 6]]);
    assert.deepEqual(npz.get('y.priority')!().shape, [16, 2]);
    assert.match(readFileSync(join(cluster, 'train.py'), 'utf8'), /^UNUSED_TARGETS = \{"department": \(4,\)\}$/m);
  },
);

test(
  'a loss dict leaving out an output of a list-output model is one line, as Keras refuses it, exit 2',
  { timeout: 60_000 },
  () => {
    const model = { type: 'keras', jsonPath: 'model.json', loss: { priority: 'mse' }, metrics: { priority: ['mae'] } };
    const r = dtrain('train', '--config', config('dict-missing', {}, { model }));
    assert.equal(r.code, 2, `exit ${r.code}\n${r.out}\n${r.err}`);
    assert.match(r.err, /loss gives output "department" no entry: .*give "department": null/);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  },
);

test(
  'metrics on an output without a loss: read against its targets, in training, validation and evaluate; export --cluster packs them',
  { timeout: 180_000 },
  () => {
    const metrics = { priority: ['mae'], department: ['sparse_categorical_accuracy'] };
    const model = { type: 'keras', jsonPath: 'model.json', loss: ['mse', null], metrics };
    const r = dtrain('train', '--config', config('metric-only', { validation: { fraction: 0.25 } }, { model }));
    assert.equal(r.code, 0, r.err);
    for (const name of ['priority_mae', 'department_sparse_categorical_accuracy'])
      for (const shown of [name, `val_${name}`])
        assert.match(r.out + r.err, new RegExp(`\\b${shown}[ =:]+\\d`), `progress names ${shown}`);
    assert.doesNotMatch(r.out + r.err, /priority_loss|department_loss/);
    const runId = /run (\S+) started on mesh batch=2/.exec(r.out)![1]!;
    const evaluated = dtrain('evaluate', runId);
    assert.equal(evaluated.code, 0, evaluated.err);
    assert.match(evaluated.out, /\bdepartment_sparse_categorical_accuracy[ =:]+\d/);
    const cluster = join(dir, 'metric-only-cluster');
    const e = dtrain('export', runId, '--cluster', cluster);
    assert.equal(e.code, 0, e.err);
    const npz = decodeNpz(new Uint8Array(readFileSync(join(cluster, 'data.npz'))));
    assert.deepEqual([...npz.keys()].sort(), ['order', 'x.body', 'x.numeric', 'y.department', 'y.priority']);
    assert.deepEqual(npz.get('y.department')!().shape, [16]);
    assert.match(readFileSync(join(cluster, 'train.py'), 'utf8'), /^UNUSED_TARGETS = \{\}$/m);
  },
);

test(
  'metrics on an output without a loss want its targets: none given is one line naming the output, exit 2',
  {
    timeout: 60_000,
  },
  () => {
    const metrics = { priority: ['mae'], department: ['sparse_categorical_accuracy'] };
    const model = { type: 'keras', jsonPath: 'model.json', loss: ['mse', null], metrics };
    const r = dtrain('train', '--config', config('metric-only-missing', { y: { priority: 'priority' } }, { model }));
    assert.equal(r.code, 2, `exit ${r.code}\n${r.out}\n${r.err}`);
    const [header, ...issues] = r.err.trim().split('\n');
    assert.match(header!, /^dtrain: error: invalid config .*:$/);
    assert.equal(issues.length, 1, `one issue, got:\n${r.err}`);
    assert.match(issues[0]!, /the model's output "department" is given no array in data\.y/);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  },
);
