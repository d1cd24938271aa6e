// SIGKILL a writer at random moments (SQLite crash-test style): after every kill the database opens,
// passes integrity_check, holds exactly the state before or after the interrupted transaction (the
// signature the child logged), and its newest checkpoint loads, verifies and holds the generated data.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { RunStore } from '../../../src/engine/store/index';
import { checkContent, readState, signature } from './fixtures/crash-model';
import { type Child, forkFixture } from './fixtures/child';
import type { Go } from './fixtures/crash-writer';
import { inspectWal } from './fixtures/wal';
import { sampleConfig, tempDir } from './helpers';
import { testSeed } from '../../helpers/seed';

const TRIALS = Number(process.env.DTRAIN_CRASH_TRIALS ?? 50);
const LANES = 2; // two databases, killed independently, to use both cores
const MAX_DELAY_MS = 250;
const tmp = tempDir('crash');
after(() => tmp.cleanup());

interface LogEntry {
  seq: number;
  op?: string;
  phase: 'intent' | 'transaction' | 'done';
  before?: string;
  after?: string;
}

interface Tally {
  trials: number;
  /** The kill landed between a transaction's intent and done lines, by op. */
  inFlight: Record<string, number>;
  /** …and SQLite kept the transaction (committed before the kill, only the done line was lost). */
  inFlightCommitted: number;
  /** The kill landed inside a checkpoint's SQL transaction (after encoding, before writeCheckpoint returned). */
  inCheckpointTransaction: number;
  /** The WAL held frames written after the last commit: the kill hit a transaction mid-commit. */
  tornCommits: number;
  tornCheckpointCommits: number;
  checkpointsCommitted: number;
}

function readLog(file: string): LogEntry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogEntry);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Checks the database after a kill and returns its signature (the next trial's starting point). */
function verify(db: string, log: string, runId: string, expected: string, tally: Tally): string {
  const wal = inspectWal(`${db}-wal`); // before SQLite recovers the WAL
  const entries = readLog(log);
  const intents = entries.filter((e) => e.phase === 'intent');
  const done = new Set(entries.filter((e) => e.phase === 'done').map((e) => e.seq));
  if (intents.length > 0) assert.equal(intents[0].before, expected, 'the child started from the verified state');
  const last = intents.at(-1);
  const inFlight = last !== undefined && !done.has(last.seq);
  const allowed = !last ? [expected] : inFlight ? [last.before!, last.after!] : [last.after!];

  const store = RunStore.open(db);
  try {
    assert.deepEqual(store.integrityCheck(), ['ok']);
    const state = readState(store, runId);
    const actual = signature(state);
    assert.ok(allowed.includes(actual), `database state ${actual} is neither of ${allowed.join(' | ')}`);
    const latest = store.latestCheckpoint(runId); // verifies every hash
    assert.equal(latest?.step, state.checkpoints.at(-1)?.step);
    if (latest) checkContent(latest);
    tally.trials++;
    if (wal.uncommittedFrames > 0) tally.tornCommits++;
    if (inFlight) {
      tally.inFlight[last.op!] = (tally.inFlight[last.op!] ?? 0) + 1;
      if (actual === last.after && last.after !== last.before) tally.inFlightCommitted++;
      if (last.op === 'checkpoint' && wal.uncommittedFrames > 0) tally.tornCheckpointCommits++;
      if (entries.some((e) => e.seq === last.seq && e.phase === 'transaction')) tally.inCheckpointTransaction++;
    }
    tally.checkpointsCommitted += intents.filter((e) => e.op === 'checkpoint' && done.has(e.seq)).length;
    return actual;
  } finally {
    store.close();
  }
}

async function runLane(lane: number, trials: number, seed: number, tally: Tally): Promise<void> {
  const db = tmp.file(`lane${lane}.db`);
  const log = tmp.file(`lane${lane}.log`);
  const setup = RunStore.open(db);
  const runId = setup.createRun(sampleConfig({ name: `crash lane ${lane}` }));
  setup.close();
  const random = rng(seed);
  let expected = signature({ metrics: new Map(), checkpoints: [] });
  // Two children start up ahead (tsx takes ~0.5 s of CPU), so each trial only waits for its own work.
  const warm: Child[] = [forkFixture('crash-writer.ts'), forkFixture('crash-writer.ts')];
  try {
    for (let gen = 1; gen <= trials; gen++) {
      const child = warm.shift()!;
      await child.message('loaded');
      writeFileSync(log, '');
      const go: Go = { db, log, runId, gen, seed: Math.floor(random() * 2 ** 31) };
      child.proc.send(go);
      await child.message('ready');
      await new Promise((r) => setTimeout(r, random() * MAX_DELAY_MS));
      await child.kill();
      warm.push(forkFixture('crash-writer.ts'));
      expected = verify(db, log, runId, expected, tally);
    }
  } finally {
    await Promise.all(warm.map((c) => c.kill()));
  }
}

test(`SIGKILL during metric and multi-MB checkpoint writes, ${TRIALS} trials`, { timeout: 150_000 }, async (t) => {
  const seed = process.env.DTRAIN_CRASH_SEED ? Number(process.env.DTRAIN_CRASH_SEED) : testSeed('crash lanes');
  const tally: Tally = {
    trials: 0,
    inFlight: {},
    inFlightCommitted: 0,
    inCheckpointTransaction: 0,
    tornCommits: 0,
    tornCheckpointCommits: 0,
    checkpointsCommitted: 0,
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: LANES }, (_, lane) => runLane(lane, Math.ceil(TRIALS / LANES), seed + lane, tally)));
  t.diagnostic(
    `seed ${seed}: ${tally.trials} kills in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
      `in flight: ${JSON.stringify(tally.inFlight)} (${tally.inFlightCommitted} had committed, done line lost); ` +
      `inside a checkpoint's SQL transaction: ${tally.inCheckpointTransaction}; ` +
      `mid-commit (uncommitted WAL frames on disk): ${tally.tornCommits}, of them checkpoints: ${tally.tornCheckpointCommits}; ` +
      `checkpoints committed: ${tally.checkpointsCommitted}`,
  );
  assert.equal(tally.trials, LANES * Math.ceil(TRIALS / LANES));
  assert.ok((tally.inFlight.checkpoint ?? 0) > 0, 'some kills landed inside a checkpoint write');
});
