/**
 * Issue 11 item 6: an export never overwrites a non-empty folder or a file silently, gives one clear
 * line for a file where a folder belongs, and does not hang on paths like /proc/x.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDir, prepareOutDir, prepareOutFile, writeFileAtomic } from '../../../src/engine/files/out-path';
import { ApiError } from '../../../src/shared/errors';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'dtrain-out-'));
}

const invalid = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ApiError && e.code === 'invalid-input', String(e));
  assert.match(e.message, pattern);
  assert.ok(!e.message.includes('\n'));
  return true;
};

test('a new folder is made with its parents; an empty one is used as is', () => {
  const root = scratch();
  try {
    assert.equal(prepareOutDir(join(root, 'a', 'b', 'c')), join(root, 'a', 'b', 'c'));
    assert.ok(existsSync(join(root, 'a', 'b', 'c')));
    assert.equal(prepareOutDir(join(root, 'a', 'b', 'c')), join(root, 'a', 'b', 'c'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a non-empty folder is refused without force, and its files stay untouched', () => {
  const root = scratch();
  try {
    writeFileSync(join(root, 'keep.txt'), 'mine');
    assert.throws(() => prepareOutDir(root), invalid(/is not empty; choose a new folder or pass --force/));
    assert.equal(readFileSync(join(root, 'keep.txt'), 'utf8'), 'mine');
    assert.equal(prepareOutDir(root, true), root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a file where a folder belongs is one clear line, not EEXIST', () => {
  const root = scratch();
  try {
    writeFileSync(join(root, 'f'), 'x');
    assert.throws(() => prepareOutDir(join(root, 'f')), invalid(/ is a file; export needs a folder$/));
    assert.throws(() => prepareOutDir(join(root, 'f', 'sub')), invalid(/cannot create .*: .*\/f is a file$/));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test(
  '/proc/x is refused at once with one line (recursive mkdir spins there)',
  { skip: existsSync('/proc/self') ? undefined : 'no /proc on this system' },
  () => {
    assert.throws(() => prepareOutDir('/proc/dtrain-export-test/x'), invalid(/^cannot create \/proc\/dtrain-export-test\/x: /));
  },
);

test('an existing file is not overwritten without force; a folder is not a file name', () => {
  const root = scratch();
  try {
    writeFileSync(join(root, 'a.keras'), 'old');
    assert.throws(() => prepareOutFile(join(root, 'a.keras')), invalid(/a\.keras exists; choose a new name or pass --force/));
    assert.equal(readFileSync(join(root, 'a.keras'), 'utf8'), 'old');
    assert.throws(() => prepareOutFile(root), invalid(/is a folder; give a file name/));
    const file = prepareOutFile(join(root, 'new', 'b.keras'));
    writeFileAtomic(file, 'data');
    assert.equal(readFileSync(file, 'utf8'), 'data');
    assert.deepEqual(readdirSync(join(root, 'new')), ['b.keras'], 'no temporary file left behind');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('freshDir gives each export of a run its own folder', () => {
  const root = scratch();
  try {
    const first = freshDir(root, 'run-abc');
    assert.equal(first, join(root, 'run-abc'));
    mkdirSync(first);
    assert.equal(freshDir(root, 'run-abc'), join(root, 'run-abc-2'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
