// The comment-citation check (scripts/lint-doc-citations.mjs), run as `npm run lint` runs it: a process
// over a folder. It refuses comments that cite an outside specification's sections, name a path outside
// the repository, or cite a docs/ file or README.md that does not exist; code and strings are not
// comments and pass. The planted citations below are built by concatenation so that this file's own
// comments and strings stay clean when the checker reads the real repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/external';

const SCRIPT = join(REPO_ROOT, 'scripts', 'lint-doc-citations.mjs');
const SECTION = '\u00a7';
const UP_SHARED = '..' + '/shared';
const WORK = '/' + 'work/';

/** Runs `body` in a throw-away repository holding a README, one page under docs/ and the given source files. */
function inSandbox(files: Record<string, string>, body: (root: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'dtrain-citations-'));
  try {
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'present.md'), '# Present\n');
    writeFileSync(join(root, 'README.md'), '# Readme\n');
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    body(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function runChecker(root: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = [
  '/** The update (docs/present.md, "Update"); see README.md. */',
  '// Binary format: WebAssembly core spec ' + SECTION + '5.',
  `const fixtures = '${UP_SHARED}/fixtures'; // code, not a citation`,
  `const url = "https://example.com/a//b"; const note = 'spec ${SECTION}8 in a string';`,
  `export const re = /\\/\\/ spec ${SECTION}9/;`,
  '',
].join('\n');

const BAD = [
  'export const a = 1;',
  `// Keras's update (spec ${SECTION}8).`,
  '/**',
  ` * Golden values from ${SECTION}14, in ${WORK}shared/spec/x.md`,
  ' */',
  `export const b = 2; // see ${UP_SHARED}/DESIGN.md`,
  '/* docs/missing.md explains it; docs/present.md exists */',
  '',
].join('\n');

test('a folder whose comments cite only documents inside it passes, code and strings aside', () => {
  inSandbox({ 'src/good.ts': GOOD, 'scripts/tool.mjs': GOOD }, (root) => {
    const r = runChecker(root);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /comment citations hold \(2 files checked\)/);
  });
});

test('each bad citation in a comment is reported with file:line, and the exit code is 1', () => {
  inSandbox({ 'src/good.ts': GOOD, 'tests/deep/bad.test.ts': BAD }, (root) => {
    const r = runChecker(root);
    assert.equal(r.status, 1);
    const lines = r.stderr.trim().split('\n');
    assert.deepEqual(lines.slice(0, -1), [
      `tests/deep/bad.test.ts:2: spec ${SECTION}8 — cites a specification outside the repository; cite a docs/ section`,
      `tests/deep/bad.test.ts:4: ${SECTION}14 — cites a specification outside the repository; cite a docs/ section`,
      `tests/deep/bad.test.ts:4: ${WORK}shared/spec/x.md — names a path outside the repository`,
      `tests/deep/bad.test.ts:6: ${UP_SHARED}/DESIGN.md — names a path outside the repository`,
      'tests/deep/bad.test.ts:7: docs/missing.md — cites a document that does not exist',
    ]);
    assert.match(lines.at(-1)!, /^5 bad citation\(s\) in comments/);
    assert.equal(r.stdout, '');
  });
});

test('a README.md citation fails once the README is gone', () => {
  inSandbox({ 'bench/b.ts': '// See README.md, "Benchmarks".\nexport {};\n' }, (root) => {
    assert.equal(runChecker(root).status, 0);
    rmSync(join(root, 'README.md'));
    const r = runChecker(root);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^bench\/b\.ts:1: README\.md — cites a document that does not exist$/m);
  });
});

test('this repository passes the check', () => {
  const r = runChecker(REPO_ROOT);
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
});
