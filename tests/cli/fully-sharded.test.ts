// Fully sharded parameters as a user meets them in the CLI (docs/architecture.md, "The memory model"):
// a model whose optimizer state cannot fit one worker's 4 GiB wasm heap is refused up front, in one
// line with the reason, exit 2 and no run; a fully sharded run trains, and `show` prints how it held
// its parameters, the memory check's estimate and each worker's measured peak beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliSandbox } from './cli-sandbox';

const { dir, dtrain } = cliSandbox('dtrain-fsdp-cli-');

const RUN = {
  name: 'fully sharded',
  model: {
    type: 'mlp',
    input: [4],
    layers: [
      { type: 'dense', units: 64, activation: 'relu' },
      { type: 'dense', units: 64, activation: 'relu' },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax_cross_entropy',
    metrics: ['accuracy'],
  },
  data: { kind: 'builtin', name: 'iris' },
  layouts: { 'dense.*kernel': ['batch', 'unsharded'], 'dense.*bias': ['batch'] },
  optimizer: { learning_rate: 1.0, rho: 0.95, epsilon: 1e-6 },
  steps: 40,
  globalBatchSize: 30,
  seed: 2,
  fullySharded: true,
};

test('a model too big for one worker is refused before any run, with the reason and what would fit', { timeout: 120_000 }, () => {
  // 17,000 × 17,000 floats: 1.1 GiB of parameters; with Adadelta's two slots and its gradient, 4.3 GiB
  // in the optimizer's wasm heap, which stops at 4 GiB, however much memory the machine has.
  const big = {
    ...RUN,
    fullySharded: 'auto',
    model: {
      ...RUN.model,
      layers: [
        { type: 'dense', units: 17_000, activation: 'relu' },
        { type: 'dense', units: 17_000, activation: 'relu' },
        { type: 'dense', units: 3 },
      ],
    },
  };
  const file = join(dir, 'big.json');
  writeFileSync(file, JSON.stringify(big));
  const r = dtrain('train', '--config', file, '--devices', '1');
  assert.equal(r.code, 2, r.err);
  const line = r.err.trim();
  assert.doesNotMatch(line, /\n|\bat .*\.ts:\d+/, 'one line, no stack');
  assert.match(line, /^dtrain: error: the run needs about \d+\.\d GiB per worker \(fully sharded: /);
  assert.match(line, /its optimizer heap \(shards, slots, gradient shards\) would hold \d\.\d GiB, past a wasm heap's 4 GiB/);
  assert.match(line, /its largest layer, dense_1, has 1\.1 GiB of parameters, which a fully sharded worker gathers whole/);
  assert.match(line, /(\d+ devices would fit \(fully sharded, layouts as given\)|no mesh of up to 64 devices would fit)/);
  assert.equal(JSON.parse(dtrain('runs', '--json').out).length, 0, 'no run was created');
});

test('a fully sharded run trains, and show prints each worker’s peak beside the estimate', { timeout: 180_000 }, () => {
  const file = join(dir, 'run.json');
  writeFileSync(file, JSON.stringify(RUN));
  const train = dtrain('train', '--config', file, '--devices', '2');
  assert.equal(train.code, 0, train.err);
  const runId = /run (\S+) started on mesh batch=2/.exec(train.out)![1]!;
  // Each worker's start line says how it holds the parameters.
  const starts = `${train.out}\n${train.err}`.split('\n').filter((l) => l.startsWith('[worker dev'));
  assert.equal(starts.length, 2, `${train.out}\n${train.err}`);
  for (const l of starts) assert.match(l, /(host|tensor) storage; fully sharded \(why: dtrain doctor\)$/);
  const runs = JSON.parse(dtrain('runs', '--json').out);
  assert.equal(runs[0].status, 'completed');
  assert.ok(runs[0].lastLoss < 0.6, `it learns: last loss ${runs[0].lastLoss}`);
  const show = dtrain('show', runId);
  assert.equal(show.code, 0, show.err);
  const m =
    /memory {3}parameters fully sharded; estimate (\d+) MiB per worker\n {2}device 0 {2}peak (\d+) MiB \((\d\.\d\d) of the estimate\) {2}resident \d+ MiB\n {2}device 1 {2}peak \d+ MiB/.exec(
      show.out,
    );
  assert.ok(m, show.out);
  const [estimate, peak, ratio] = [Number(m[1]), Number(m[2]), Number(m[3])];
  assert.ok(Math.abs(peak / estimate - ratio) < 0.01, 'the ratio printed is the peak over the estimate');
  // A tiny model: the worker's runtime (Node, tfjs, wasm) is nearly all of it.
  assert.ok(ratio > 0.7 && ratio < 1.4, `peak ${peak} MiB, estimate ${estimate} MiB`);
  const json = JSON.parse(dtrain('show', runId, '--json').out);
  assert.equal(json.memory.fullySharded, true);
  assert.equal(json.devices.length, 2);
});
