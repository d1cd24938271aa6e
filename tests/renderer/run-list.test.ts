/** The runs list's pure filter and sort: missing losses last either way, stable ties, tag text parsing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterRuns, parseTagText, sortRuns } from '../../src/renderer/src/views/runs/run-list';
import type { RunSummary } from '../../src/shared/api';

const run = (id: string, o: Partial<RunSummary>): RunSummary => ({
  id,
  name: id,
  status: 'completed',
  createdAt: 0,
  updatedAt: 0,
  step: 0,
  steps: 10,
  lastLoss: null,
  mesh: 'batch=1',
  tags: [],
  durationMs: null,
  ...o,
});
const runs = [
  run('a', { lastLoss: 0.5, tags: ['x'], createdAt: 3, step: 5 }),
  run('b', { lastLoss: null, status: 'failed', createdAt: 1, name: 'Run 10' }),
  run('c', { lastLoss: 0.1, tags: ['x', 'y'], createdAt: 2, name: 'Run 9', step: 10 }),
  run('d', { lastLoss: Number.NaN, createdAt: 4, mesh: 'batch=2' }),
];
const ids = (rs: RunSummary[]) => rs.map((r) => r.id);

test('sort: by loss either way with no-loss and NaN runs last; names in natural order; progress as a fraction', () => {
  assert.deepEqual(ids(sortRuns(runs, { key: 'lastLoss', dir: 'asc' })), ['c', 'a', 'b', 'd']);
  assert.deepEqual(ids(sortRuns(runs, { key: 'lastLoss', dir: 'desc' })), ['a', 'c', 'b', 'd']);
  assert.deepEqual(ids(sortRuns([runs[1], runs[2]], { key: 'name', dir: 'asc' })), ['c', 'b'], '"Run 9" before "Run 10"');
  assert.deepEqual(ids(sortRuns(runs, { key: 'createdAt', dir: 'desc' })), ['d', 'a', 'c', 'b']);
  assert.deepEqual(
    ids(sortRuns(runs, { key: 'progress', dir: 'desc' })),
    ['c', 'a', 'b', 'd'],
    '10/10, 5/10, then ties in input order',
  );
});

test('filter: status, tag and case-insensitive text over name, id, mesh and tags', () => {
  assert.deepEqual(ids(filterRuns(runs, { status: 'failed', tag: '', text: '' })), ['b']);
  assert.deepEqual(ids(filterRuns(runs, { status: '', tag: 'x', text: '' })), ['a', 'c']);
  assert.deepEqual(ids(filterRuns(runs, { status: '', tag: '', text: 'BATCH=2' })), ['d']);
  assert.deepEqual(ids(filterRuns(runs, { status: '', tag: '', text: ' y ' })), ['c']);
  assert.deepEqual(ids(filterRuns(runs, { status: 'completed', tag: 'y', text: 'run' })), ['c']);
  assert.deepEqual(parseTagText(' a, b ,,a , c d '), ['a', 'b', 'c d']);
});
