// Runs the test files with Node's own test runner (tsx loads TypeScript), by tier:
//   node scripts/run-tests.mjs [unit|integration|e2e|all] [PATH_FILTER …]
// - unit: in-process tests (core, datasets, pure engine and renderer logic), run in parallel, one
//   process per core: seconds, for feedback while editing;
// - integration: tests that start processes (device workers, the dtrain CLI, Python Keras);
// - e2e: the dashboard in real Chromium (tests/e2e);
// - all (the default, what `npm test` and CI run): every file: the unit files in parallel as the unit
//   tier runs them, then the others one at a time (they time processes and watch memory, and share
//   the machine's cores with the workers they start).
// A file's tier is read from what it imports (scripts/test-tiers.mjs). PATH_FILTERs keep only files
// whose path contains one of them.
import { availableParallelism } from 'node:os';
import { spawnSync } from 'node:child_process';
import { findTests, tierOf } from './test-tiers.mjs';

const TIERS = ['unit', 'integration', 'e2e', 'all'];

const args = process.argv.slice(2);
const tier = TIERS.includes(args[0]) ? args.shift() : 'all';
const filters = args;
const files = findTests('tests')
  .filter((f) => tier === 'all' || tierOf(f) === tier)
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)));
if (files.length === 0) {
  console.error(`no ${tier} test files match ${filters.join(' ')}`);
  process.exit(1);
}
/** Runs `group` in one node --test; its exit status. */
function runGroup(name, group, concurrency) {
  if (group.length === 0) return 0;
  process.stdout.write(`${name}: ${group.length} test files, ${concurrency} at a time\n`);
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...group],
    { stdio: 'inherit' },
  );
  return result.status ?? 1;
}

const isUnit = (f) => tierOf(f) === 'unit';
const unitStatus = runGroup(tier === 'all' ? 'unit' : tier, files.filter(isUnit), availableParallelism());
const restStatus = runGroup(
  tier === 'all' ? 'integration and e2e' : tier,
  files.filter((f) => !isUnit(f)),
  1,
);
process.exit(unitStatus || restStatus);
