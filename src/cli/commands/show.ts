import type { Command } from '../command';
import { dbOption, parse } from '../command';
import { UsageError, withService } from '../context';
import { formatDate, indent } from '../text';
import type { RunDetail } from '../../shared/api';
import { recordedCompute } from '../../engine/config/compute';
import { describeCompute } from '../../shared/settings';

export const showCommand: Command = {
  name: 'show',
  summary: 'show a run: config, checkpoints, last metrics',
  help: 'Usage: dtrain show RUN [--db PATH] [--json]',
  async run(argv) {
    const { values, positionals } = parse(argv, { ...dbOption, json: { type: 'boolean' } }, 'show', 1);
    if (!positionals[0]) throw new UsageError("missing RUN (see 'dtrain runs')");
    return withService(values.db, { quiet: true }, async (service) => {
      const run = await service.getRun(positionals[0]);
      const last = (await service.getMetrics(run.id, Math.max(0, run.step - 5))).slice(-5);
      // The compute path the run recorded (its config's backend, nativeBlas, commThread, variableStorage).
      const compute = recordedCompute(run.config);
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ ...run, compute, lastMetrics: last }, null, 2)}\n`);
        return 0;
      }
      const lines = [
        `run ${run.id}  ${run.name}`,
        `status   ${run.status}${run.error ? ` (${run.error})` : ''}${run.stopReason ? ` (${run.stopReason})` : ''}`,
        `step     ${run.step}/${run.steps}`,
        `mesh     ${run.mesh}`,
        `compute  ${compute ? describeCompute(compute) : 'not recorded (a resume takes it from its environment)'}`,
        `created  ${formatDate(run.createdAt)}   updated ${formatDate(run.updatedAt)}`,
        '',
        'config',
        indent(JSON.stringify(run.config, null, 2)),
        ...memoryLines(run),
        '',
        'checkpoints',
        ...(run.checkpoints.length
          ? run.checkpoints.map(
              (c) =>
                `  #${c.id} step ${c.step}  ${(c.bytes / 1e6).toFixed(2)} MB  ${formatDate(c.createdAt)}${c.best ? '  best' : ''}${c.restoredBestFrom !== undefined ? `  restored best (weights of step ${c.restoredBestFrom})` : ''}`,
            )
          : ['  none']),
        '',
        'last metrics',
        ...(last.length
          ? last.map(
              (p) =>
                `  step ${p.step}  loss ${p.loss.toFixed(5)}  ${Object.entries(p.metrics)
                  .map(([k, v]) => `${k} ${v.toFixed(4)}`)
                  .join('  ')}  lr ${p.learningRate.toPrecision(4)}  |g| ${p.gradNorm.toPrecision(4)}`,
            )
          : ['  none']),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    });
  },
};

const gib = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(0)} MiB`);

/**
 * How the run's latest start held its parameters, the memory check's estimate of a worker's peak, and
 * each worker's measured peak beside it (docs/architecture.md, "The memory model").
 */
function memoryLines(run: RunDetail): string[] {
  const m = run.memory;
  const peaks = run.devices.filter((d) => d.peakRssBytes);
  if (!m && peaks.length === 0) return [];
  const mode = !m ? '' : m.fullySharded ? `fully sharded${m.reshardAfterForward ? '' : ' (kept for backward)'}` : 'gathered';
  return [
    '',
    m ? `memory   parameters ${mode}; estimate ${gib(m.estimateBytes)} per worker` : 'memory',
    ...peaks.map(
      (d) =>
        `  device ${d.deviceId}  peak ${gib(d.peakRssBytes!)}${m ? ` (${(d.peakRssBytes! / m.estimateBytes).toFixed(2)} of the estimate)` : ''}  resident ${gib(d.rssBytes)}`,
    ),
  ];
}
