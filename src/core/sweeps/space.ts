/**
 * A sweep's search space: config path → a list of values, or a range (`{"log": [a, b]}`,
 * `{"uniform": [a, b]}`, `{"int": [a, b]}`). Grid expansion and seeded random sampling, both pure.
 */
import { Rng, checkSeed } from '../random/stream';
import { UserError } from '../errors';

export type SpaceEntry =
  readonly unknown[] | { log: [number, number] } | { uniform: [number, number] } | { int: [number, number] };
export type SearchSpace = Record<string, SpaceEntry>;
export type TrialSettings = Record<string, unknown>;

/** A search space, trial setting or halving rule the sweep cannot use: the user's input. */
export class SweepSpaceError extends UserError {
  override name = 'SweepSpaceError';
  constructor(message: string) {
    super('invalid-input', message);
  }
}

const RANGE_KINDS = ['log', 'uniform', 'int'] as const;
/** Stream id mixed into the seed, so trial sampling is independent of other seeded streams. */
const SAMPLE_STREAM = 0x5ee9;

/**
 * Keys no run config has, which would reach the object's prototype instead of a config key: setting
 * `__proto__.polluted` changed every object in the process and left the trial configs identical.
 */
export const OBJECT_MACHINERY: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Checks a parsed SPACE JSON; every problem names its config path. */
export function parseSpace(raw: unknown): SearchSpace {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SweepSpaceError('the search space must be a JSON object of config path → values or range');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) throw new SweepSpaceError('the search space is empty');
  for (const [path, entry] of entries) checkEntry(path, entry);
  return raw as SearchSpace;
}

function checkEntry(path: string, entry: unknown): void {
  if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(path))
    throw new SweepSpaceError(`'${path}' is not a dotted config path (e.g. optimizer.learning_rate)`);
  const special = path.split('.').find((k) => OBJECT_MACHINERY.has(k));
  if (special !== undefined)
    throw new SweepSpaceError(
      `'${path}' is not a config path: '${special}' names JavaScript's object machinery, not a config key`,
    );
  if (Array.isArray(entry)) {
    if (entry.length === 0) throw new SweepSpaceError(`${path}: the list of values is empty`);
    return;
  }
  const keys = typeof entry === 'object' && entry !== null ? Object.keys(entry) : [];
  const kind = keys.length === 1 ? RANGE_KINDS.find((k) => k === keys[0]) : undefined;
  if (!kind)
    throw new SweepSpaceError(
      `${path}: expected a list of values or one of {"log": [a, b]}, {"uniform": [a, b]}, {"int": [a, b]}`,
    );
  const range = (entry as Record<string, unknown>)[kind];
  if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new SweepSpaceError(`${path}: {"${kind}": [a, b]} needs two finite numbers`);
  }
  const [a, b] = range as [number, number];
  if (!(a <= b)) throw new SweepSpaceError(`${path}: the range [${a}, ${b}] is empty (a must be ≤ b)`);
  if (kind === 'log' && !(a > 0)) throw new SweepSpaceError(`${path}: a log range needs a > 0 (got ${a})`);
  if (kind === 'int' && !(Number.isSafeInteger(a) && Number.isSafeInteger(b)))
    throw new SweepSpaceError(`${path}: an int range needs integer bounds`);
}

/** True when every entry is a list (a grid needs finite lists). */
export function isGridable(space: SearchSpace): boolean {
  return Object.values(space).every((e) => Array.isArray(e));
}

/** Every combination, in order: the first path varies slowest, the last fastest. */
export function gridTrials(space: SearchSpace): TrialSettings[] {
  const paths = Object.keys(space);
  for (const p of paths)
    if (!Array.isArray(space[p]))
      throw new SweepSpaceError(`${p}: a grid needs a list of values, not a range (use --method random)`);
  let out: TrialSettings[] = [{}];
  for (const p of paths) out = out.flatMap((t) => (space[p] as unknown[]).map((v) => ({ ...t, [p]: v })));
  return out;
}

/** `count` seeded draws: lists uniformly, log ranges log-uniformly, int ranges inclusive of both ends. */
export function randomTrials(space: SearchSpace, count: number, seed: number): TrialSettings[] {
  checkSeed(seed);
  if (!Number.isSafeInteger(count) || count < 1)
    throw new SweepSpaceError(`the number of trials must be an integer ≥ 1 (got ${count})`);
  const rng = new Rng(SAMPLE_STREAM, seed);
  return Array.from({ length: count }, () => Object.fromEntries(Object.entries(space).map(([p, e]) => [p, draw(e, rng)])));
}

function draw(entry: SpaceEntry, rng: Rng): unknown {
  if (Array.isArray(entry)) return entry[rng.nextInt(entry.length)];
  const e = entry as Record<string, [number, number]>;
  if (e.log) return Math.exp(rng.uniform(Math.log(e.log[0]), Math.log(e.log[1])));
  if (e.uniform) return rng.uniform(e.uniform[0], e.uniform[1]);
  const [a, b] = e.int!;
  return a + rng.nextInt(b - a + 1);
}
