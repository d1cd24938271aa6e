// Which tier a test file belongs to (scripts/run-tests.mjs): 'e2e' under tests/e2e, 'integration' when
// the file or a tests/ module it imports (transitively) starts processes (device workers, the dtrain
// CLI, a service with workers, Python Keras, a browser), 'unit' otherwise. Read from the imports, so a
// new test lands in the right tier by itself.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

export function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** Marks of a test that starts processes: workers, the CLI, a service with workers, Python, a browser. */
const PROCESS_MARKS =
  /node:child_process|\bMeshSession\b|\bstartSession\b|\bwithService\b|\bcliSandbox\b|\btrainRun\b|createTrainerService|playwright|pythonWithKeras/;

const startsProcesses = new Map();
/** Whether `file` or a tests/ module it imports (transitively) starts processes. */
function spawns(file, seen = new Set()) {
  if (startsProcesses.has(file)) return startsProcesses.get(file);
  if (seen.has(file)) return false;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  let result = PROCESS_MARKS.test(text);
  if (!result) {
    for (const m of text.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const base = resolve(dirname(file), m[1]);
      const target = [base, `${base}.ts`].find(
        (p) => p.includes(`${sep}tests${sep}`) && statSync(p, { throwIfNoEntry: false })?.isFile(),
      );
      if (target && spawns(target, seen)) {
        result = true;
        break;
      }
    }
  }
  startsProcesses.set(file, result);
  return result;
}

export function tierOf(file) {
  if (file.split(sep).includes('e2e') && file.split(sep).includes('tests')) return 'e2e';
  return spawns(resolve(file)) ? 'integration' : 'unit';
}
