/** How `dtrain sweep` prints sweeps: a table per sweep list, a ranked trial table per sweep. */
import { readFileSync } from 'node:fs';
import type { SweepDetail, SweepSummary } from '../../shared/api';
import { UsageError } from '../context';
import { formatDate } from '../text';

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export function printSweeps(sweeps: SweepSummary[], json: boolean): void {
  if (json) return void process.stdout.write(`${JSON.stringify(sweeps, null, 2)}\n`);
  if (sweeps.length === 0) return void process.stdout.write('no sweeps\n');
  for (const s of sweeps) {
    const best = s.best ? `best ${s.objective.monitor} ${s.best.value.toPrecision(6)} (run ${s.best.runId})` : 'no result yet';
    process.stdout.write(
      `${s.id}  ${s.status.padEnd(9)} ${s.method.padEnd(6)} ${s.finishedCount}/${s.trialCount} trials  ${best}  ${formatDate(s.createdAt)}  ${s.name}\n`,
    );
  }
}

export function printSweep(s: SweepDetail, json: boolean): void {
  if (json) return void process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
  const lines = [
    `sweep ${s.id}  ${s.name}  ${s.status}  ${s.method}, ${s.objective.mode} ${s.objective.monitor}`,
    s.summary,
    '',
    `rank  trial  run       status     rung  ${s.objective.monitor.padEnd(12)} settings`,
  ];
  s.trials.forEach((t, i) => {
    const value = t.objective === null ? '—' : t.objective.toPrecision(6);
    lines.push(
      `${String(i + 1).padStart(4)}  ${`#${t.index}`.padStart(5)}  ${(t.runId ?? '—').padEnd(8)}  ${t.status.padEnd(9)}  ${String(t.rung).padStart(4)}  ${value.padEnd(12)} ${JSON.stringify(t.settings)}`,
    );
  });
  process.stdout.write(`${lines.join('\n')}\n`);
}
