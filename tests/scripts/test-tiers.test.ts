// The test tiers (scripts/test-tiers.mjs): a file's tier follows from what it imports, through tests/
// helpers, so the fast unit tier never starts a worker, the CLI, Python or a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findTests, tierOf } from '../../scripts/test-tiers.mjs';

test('files land in the tier their imports call for, transitively through helpers', () => {
  assert.equal(tierOf('tests/core/dtensor/mesh.test.ts'), 'unit');
  assert.equal(tierOf('tests/core/optimizers/adadelta-golden.test.ts'), 'unit');
  assert.equal(tierOf('tests/workers/compute-paths.test.ts'), 'integration', 'trainRun, through tests/helpers/train-run.ts');
  assert.equal(tierOf('tests/cli/evaluate.test.ts'), 'integration', 'cliSandbox');
  assert.equal(tierOf('tests/engine/keras/export-metrics.test.ts'), 'integration', 'withService and Python');
  assert.equal(tierOf('tests/e2e/web.test.ts'), 'e2e');
  const all = findTests('tests');
  assert.ok(all.length > 100);
  const unit = all.filter((f) => tierOf(f) === 'unit');
  assert.ok(unit.length > 50 && unit.length < all.length, `${unit.length} of ${all.length} are unit tests`);
});
