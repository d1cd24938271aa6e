/**
 * `npm run lint:imports`: checks the import rules of .dependency-cruiser.cjs over src/ (see
 * docs/architecture.md, "Import rules"). Uses dependency-cruiser's API rather than its CLI, whose
 * start-up check refuses Node 20 (the API itself runs on it). Exit code 1 on any violation.
 */
import { createRequire } from 'node:module';
import { cruise } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const require = createRequire(import.meta.url);
const config = require('../.dependency-cruiser.cjs');

const options = { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true };
const tsConfig = extractTSConfig(config.options.tsConfig.fileName);
const result = await cruise(['src'], options, undefined, { tsConfig });
const violations = result.output.summary.violations.filter((v) => v.rule.severity === 'error');
if (violations.length > 0) {
  for (const v of violations) {
    const via = v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name ?? c).join(' → ')})` : '';
    process.stderr.write(`import rule '${v.rule.name}' broken: ${v.from} → ${v.to}${via}\n`);
  }
  process.stderr.write(`${violations.length} import rule violation(s); see docs/architecture.md "Import rules"\n`);
  process.exit(1);
}
process.stdout.write(`import rules hold (${result.output.summary.totalCruised} modules checked)\n`);
