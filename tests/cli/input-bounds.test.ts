// Issue 24 items 5, 6, 7 and 9: input a careful user or an adversary gives `dtrain`. Each is refused
// by the CLI as a user runs it (a real process), with exit 2 and one readable line, before a run row
// exists: real files on disk (a FIFO, a PNG declaring 20000×20000 pixels, an npz whose header lies
// about its rows, npz files with one flipped byte), a 5 MB CSV cell, a sweep key that names the
// object machinery, negative numbers for numeric flags and a database path SQLite cannot open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { encodeNpy } from '../../src/core/data/index';
import { RunStore } from '../../src/engine/store/index';
import { cliSandbox, type CliResult } from './cli-sandbox';

const { dir, db, dtrain } = cliSandbox('dtrain-bounds-', { env: { DTRAIN_DEBUG: '' } });

/**
 * Exit 2 and one `dtrain: error:` line matching `message` (a config's problem is its own line under
 * "invalid config FILE:"): no stack, no raw binary, no 5 MB echo.
 */
function refused(r: CliResult, message: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit code (stderr: ${r.err.slice(0, 2000)})`);
  const lines = r.err.trimEnd().split('\n');
  const config = /^dtrain: error: invalid config \S+:$/.test(lines[0]!);
  assert.equal(lines.length, config ? 2 : 1, `${what}: one problem, got ${JSON.stringify(r.err.slice(0, 2000))}`);
  assert.match(lines[0]!, /^dtrain: error: /, what);
  const line = lines.at(-1)!;
  assert.match(line, message, what);
  assert.ok(line.length < 600, `${what}: a short line, got ${line.length} characters`);
  // Control characters, C1 codes and U+FFFD (what raw bytes decode to) never reach the terminal.
  assert.doesNotMatch(r.err, /[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]/, `${what}: printable`);
  assert.doesNotMatch(r.err, /^\s+at /m, `${what}: no stack`);
}

function noRuns(what: string): void {
  if (!existsSync(db)) return;
  const store = RunStore.open(db, { readonly: true });
  try {
    assert.deepEqual(store.listRuns(), [], `${what}: no run row`);
  } finally {
    store.close();
  }
}

let configs = 0;
function trainOn(data: object, input: number[] = [4]): CliResult {
  const file = join(dir, `config-${configs++}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      model: {
        type: 'sequential',
        input,
        layers: [{ type: 'flatten' }, { type: 'dense', units: 2 }],
        loss: 'softmax_cross_entropy',
      },
      data,
      mesh: 'batch=1',
      optimizer: { learning_rate: 1.0 },
      steps: 2,
      globalBatchSize: 2,
      seed: 1,
    }),
  );
  return dtrain('train', '--config', file);
}

const N = 40;
const xBytes = () =>
  encodeNpy(
    Float32Array.from({ length: N * 4 }, (_, i) => (i % 13) / 13),
    'float32',
    [N, 4],
  );
const yBytes = () =>
  encodeNpy(
    Int32Array.from({ length: N }, (_, i) => i % 2),
    'int32',
    [N],
  );

test('an npz with one flipped byte in x is refused by its CRC-32, stored or compressed, in printable words', () => {
  for (const level of [0, 6] as const) {
    const zip = zipSync({ 'x.npy': xBytes(), 'y.npy': yBytes() }, { level });
    // A byte well inside x's data (stored) or its deflate stream (compressed): past the zip's
    // 30-byte local header, the name and, stored, the 128-byte .npy header.
    const at = level === 0 ? 30 + 'x.npy'.length + 128 + 100 : 30 + 'x.npy'.length + 40;
    zip[at] ^= 0x5a;
    const path = join(dir, `flipped-${level}.npz`);
    writeFileSync(path, zip);
    const r = trainOn({ kind: 'npz', path });
    refused(
      r,
      level === 0 ? /flipped-0\.npz: array 'x': 'x\.npy' is corrupt: bad CRC-32/ : /flipped-6\.npz: .*corrupt/,
      `level ${level}`,
    );
  }
  noRuns('flipped');
});

test('an npz whose x header declares 300M rows in a few KB is refused from the header, before inflating', () => {
  const header = encodeNpy(new Float32Array(4), 'float32', [1, 4]);
  // The same header text with a shape of (300000000, 4): numpy's header is padded ASCII.
  const text = new TextDecoder().decode(header.subarray(10, 10 + header[8]! + 256 * header[9]!));
  const lie = text.replace("'shape': (1, 4)", "'shape': (300000000, 4)").replace(`${' '.repeat(8)}\n`, '\n');
  assert.equal(lie.length, text.length, 'the lie fits the header as written');
  const x = new Uint8Array(header.length + 4096);
  x.set(header);
  x.set(new TextEncoder().encode(lie), 10);
  const path = join(dir, 'lying.npz');
  writeFileSync(path, zipSync({ 'x.npy': x, 'y.npy': yBytes() }, { level: 6 }));
  refused(
    trainOn({ kind: 'npz', path }),
    /lying\.npz: array 'x': truncated \.npy: shape \(300000000, 4\) of float32 needs 4800000000 bytes, the entry holds 4112/,
    'lying npz',
  );
  noRuns('lying');
});

test('an npy path that is a FIFO is refused at once, not read forever', { skip: process.platform === 'win32' }, () => {
  const fifo = join(dir, 'x-fifo.npy');
  execFileSync('mkfifo', [fifo]);
  const y = join(dir, 'y.npy');
  writeFileSync(y, yBytes());
  refused(trainOn({ kind: 'npy', x: fifo, y }), /x-fifo\.npy: it is a FIFO \(named pipe\), not a regular file/, 'fifo');
  noRuns('fifo');
});

test('a PNG declaring 20000×20000 pixels in an image folder is refused from its header', () => {
  const root = join(dir, 'huge-images');
  for (const cls of ['a', 'b']) mkdirSync(join(root, cls), { recursive: true });
  const png = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
  png.writeUInt32BE(13, 8);
  png.write('IHDR', 12, 'latin1');
  png.writeUInt32BE(20000, 16);
  png.writeUInt32BE(20000, 20);
  png[24] = 8; // bit depth
  png[25] = 6; // RGBA
  writeFileSync(join(root, 'a', 'big.png'), png);
  writeFileSync(join(root, 'b', 'big.png'), png);
  refused(
    trainOn({ kind: 'images', path: root, size: [2, 2], channels: 1 }, [2, 2, 1]),
    /big\.png: cannot read this image: the image is 20000×20000 pixels, more than the 89,478,485 an image may have/,
    'huge png',
  );
  noRuns('png');
});

test('a CSV error quotes a 5 MB cell in a few dozen characters', () => {
  const path = join(dir, 'wide-cell.csv');
  writeFileSync(path, `a,b,c,d,label\n1,2,3,4,0\n1,${'x'.repeat(5_000_000)},3,4,1\n`);
  refused(trainOn({ kind: 'csv', path }), /line 3, column 'b': 'x{60}… \(4999940 more characters\)' is not a number/, 'csv');
  noRuns('csv');
});

test('a sweep space key through __proto__ is refused, and no trial runs', () => {
  const base = join(dir, 'sweep-base.json');
  writeFileSync(
    base,
    JSON.stringify({
      model: { type: 'mlp', input: [4], layers: [{ type: 'dense', units: 3 }], loss: 'softmax_cross_entropy' },
      data: { kind: 'builtin', name: 'iris' },
      mesh: 'batch=1',
      steps: 2,
      globalBatchSize: 8,
    }),
  );
  for (const key of ['__proto__.polluted', 'optimizer.constructor.prototype.polluted']) {
    const space = join(dir, 'space.json');
    writeFileSync(space, JSON.stringify({ [key]: [1, 2] }));
    refused(dtrain('sweep', '--config', base, '--space', space), /is not a config path: '(__proto__|constructor)' names/, key);
  }
  noRuns('sweep');
});

test('negative numbers for numeric flags reach their own check, not "argument is ambiguous"', () => {
  const r1 = dtrain('train', '--config', join(dir, 'none.json'), '--steps', '-1');
  refused(r1, /--steps/, '--steps -1');
  assert.doesNotMatch(r1.err, /ambiguous/);
  const r2 = dtrain('train', '--config', join(dir, 'none.json'), '--devices', '-1');
  refused(r2, /--devices/, '--devices -1');
  const r3 = dtrain('evaluate', 'somerun', '--checkpoint', '-1');
  assert.equal(r3.code, 2, r3.err);
  assert.doesNotMatch(r3.err, /ambiguous/);
});

test('a database SQLite cannot open there is the user input: exit 2, one line', () => {
  refused(dtrain('runs', '--db', '/proc/self/runs.db'), /\/proc\/self\/runs\.db/, 'cantopen');
});

test('a Keras model path that is /dev/zero, or an archive padded with deflated zeros, is refused unread', () => {
  const kerasRun = (model: object) => {
    const file = join(dir, `keras-${configs++}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        model,
        data: { kind: 'builtin', name: 'iris' },
        mesh: 'batch=1',
        optimizer: { learning_rate: 1.0 },
        steps: 2,
        globalBatchSize: 8,
      }),
    );
    return dtrain('train', '--config', file);
  };
  refused(
    kerasRun({ type: 'keras', path: '/dev/zero' }),
    /model\.path: cannot read \/dev\/zero: it is a device, not a regular file/,
    'path',
  );
  refused(kerasRun({ type: 'keras', jsonPath: '/dev/zero' }), /cannot read jsonPath \/dev\/zero: it is a device/, 'jsonPath');
  // 64 MiB of zeros deflate to ~64 KB: the member says it inflates 1000 times its size.
  const padded = join(dir, 'padded.keras');
  writeFileSync(
    padded,
    zipSync({
      'config.json': [new TextEncoder().encode('{"class_name": "Sequential", "config": {}}'), { level: 6 }],
      'model.weights.h5': [new Uint8Array(64 * 2 ** 20), { level: 9 }],
    }),
  );
  refused(
    kerasRun({ type: 'keras', path: padded }),
    /padded\.keras is not a usable \.keras archive: 'model\.weights\.h5' says it holds 67108864 bytes, more than the \d+ it can/,
    'padded',
  );
  noRuns('keras');
});
