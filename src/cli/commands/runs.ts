import { writeFileSync, readFileSync } from 'node:fs';
import type { Command } from '../command';
import { intOption, meshOption, parse } from '../command';
import { UsageError, openService } from '../context';
import { followRun } from './follow';

const dbOption = { db: { type: 'string' } } as const;
const date = (t: number) => new Date(t).toISOString().slice(0, 19).replace('T', ' ');

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'continue a paused, stopped or failed run from its last checkpoint',
  help: `Usage: dtrain resume RUN [options]

Continues from the newest valid checkpoint; metric rows after it are removed first. On the same mesh
the continuation is bit-identical to an uninterrupted run; on another mesh the checkpoint is resharded.

  --devices N | --mesh TEXT   resume on another mesh (e.g. a 4-device run on 2)
  --steps N                   raise the run's total number of steps
  --cpu                       use CPU workers even if GPUs are present
  --db PATH                   database file`,
  async run(argv) {
    const { values, positionals } = parse(argv, { devices: { type: 'string' }, mesh: { type: 'string' }, steps: { type: 'string' }, cpu: { type: 'boolean' }, ...dbOption }, 'resume', 1);
    const runId = positionals[0];
    if (!runId) throw new UsageError("missing RUN (see 'dtrain runs')");
    const service = await openService(values.db, { cpuOnly: values.cpu });
    try {
      const run = await service.getRun(runId);
      const steps = intOption(values.steps, 'steps', 1);
      await service.resumeRun(runId, { mesh: meshOption(values), steps });
      process.stdout.write(`run ${runId} resuming from step ${run.checkpoints[0]?.step ?? 0}\n`);
      return await followRun(service, runId, steps ?? run.steps);
    } finally {
      await service.shutdown();
    }
  },
};

export const runsCommand: Command = {
  name: 'runs',
  summary: 'list runs in the database',
  help: 'Usage: dtrain runs [--db PATH] [--json]\n\n  --json   machine-readable output',
  async run(argv) {
    const { values } = parse(argv, { ...dbOption, json: { type: 'boolean' } }, 'runs');
    const service = await openService(values.db, { quiet: true });
    try {
      const runs = await service.listRuns();
      if (values.json) process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      else if (runs.length === 0) process.stdout.write('no runs yet: start one with dtrain train --config FILE\n');
      else {
        const rows = runs.map((r) => [r.id, r.name, r.status, `${r.step}/${r.steps}`, r.lastLoss === null ? '-' : r.lastLoss.toFixed(4), r.mesh, date(r.updatedAt)]);
        process.stdout.write(table([['ID', 'NAME', 'STATUS', 'STEP', 'LOSS', 'MESH', 'UPDATED'], ...rows]));
      }
      return 0;
    } finally {
      await service.shutdown();
    }
  },
};

export const showCommand: Command = {
  name: 'show',
  summary: 'show a run: config, checkpoints, last metrics',
  help: 'Usage: dtrain show RUN [--db PATH] [--json]',
  async run(argv) {
    const { values, positionals } = parse(argv, { ...dbOption, json: { type: 'boolean' } }, 'show', 1);
    if (!positionals[0]) throw new UsageError("missing RUN (see 'dtrain runs')");
    const service = await openService(values.db, { quiet: true });
    try {
      const run = await service.getRun(positionals[0]);
      const last = (await service.getMetrics(run.id, Math.max(0, run.step - 5))).slice(-5);
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ ...run, lastMetrics: last }, null, 2)}\n`);
        return 0;
      }
      const lines = [
        `run ${run.id}  ${run.name}`, `status   ${run.status}${run.error ? ` (${run.error})` : ''}`, `step     ${run.step}/${run.steps}`,
        `mesh     ${run.mesh}`, `created  ${date(run.createdAt)}   updated ${date(run.updatedAt)}`, '', 'config', indent(JSON.stringify(run.config, null, 2)), '',
        'checkpoints', ...(run.checkpoints.length ? run.checkpoints.map((c) => `  #${c.id} step ${c.step}  ${(c.bytes / 1e6).toFixed(2)} MB  ${date(c.createdAt)}`) : ['  none']),
        '', 'last metrics', ...(last.length ? last.map((p) => `  step ${p.step}  loss ${p.loss.toFixed(5)}  ${Object.entries(p.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}  lr ${p.learningRate.toPrecision(4)}  |g| ${p.gradNorm.toPrecision(4)}`) : ['  none']),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    } finally {
      await service.shutdown();
    }
  },
};

export const exportCommand: Command = {
  name: 'export',
  summary: 'export weights (tfjs LayersModel), optimizer config (Keras JSON) and metrics (CSV)',
  help: 'Usage: dtrain export RUN --out DIR [--db PATH]\n\nWrites model.json + weights.bin (load with tf.loadLayersModel), optimizer.json, metrics.csv, run.json.',
  async run(argv) {
    const { values, positionals } = parse(argv, { out: { type: 'string' }, ...dbOption }, 'export', 1);
    if (!positionals[0]) throw new UsageError("missing RUN (see 'dtrain runs')");
    if (!values.out) throw new UsageError('missing --out DIR');
    const service = await openService(values.db, { quiet: true });
    try {
      const { files } = await service.exportRun(positionals[0], values.out);
      process.stdout.write(`${files.join('\n')}\n`);
      return 0;
    } finally {
      await service.shutdown();
    }
  },
};

export const importConfigCommand: Command = {
  name: 'import-config',
  summary: 'check an optimizer config written by Python Keras and print it as dtrain uses it',
  help: "Usage: dtrain import-config FILE [--out FILE]\n\nFILE is json.dumps(optimizer.get_config()) (or tf.keras.optimizers.serialize(optimizer)) from Keras 2.11+.\nThe result can be used as a run config's \"optimizer\".",
  async run(argv) {
    const { values, positionals } = parse(argv, { out: { type: 'string' } }, 'import-config', 1);
    if (!positionals[0]) throw new UsageError('missing FILE');
    let text: string;
    try {
      text = readFileSync(positionals[0], 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${positionals[0]}: ${(e as Error).message}`);
    }
    const { importOptimizerConfig } = await import('../../engine/service/config-tools');
    const result = importOptimizerConfig(text);
    if ('error' in result) throw new UsageError(`${positionals[0]}: ${result.error}`);
    const json = `${JSON.stringify(result.config, null, 2)}\n`;
    if (values.out) writeFileSync(values.out, json);
    process.stdout.write(json);
    return 0;
  },
};

export const devicesCommand: Command = {
  name: 'devices',
  summary: 'list the devices a run can use',
  help: 'Usage: dtrain devices [--cpu]\n\nGPUs found by nvidia-smi, else one CPU worker per core.',
  async run(argv) {
    const { values } = parse(argv, { cpu: { type: 'boolean' }, ...dbOption }, 'devices');
    const service = await openService(values.db, { cpuOnly: values.cpu, quiet: true });
    try {
      for (const d of await service.listDevices()) process.stdout.write(`${d.deviceId}  ${d.label}${d.memoryBytes ? `  ${(d.memoryBytes / 2 ** 30).toFixed(1)} GiB` : ''}\n`);
      return 0;
    } finally {
      await service.shutdown();
    }
  },
};

export const datasetsCommand: Command = {
  name: 'datasets',
  summary: 'list the built-in datasets',
  help: 'Usage: dtrain datasets\n\nBuilt-in datasets for a run config\'s "data": {"kind": "builtin", "name": NAME}.',
  async run(argv) {
    parse(argv, {}, 'datasets');
    const { listBuiltinDatasets } = await import('../../datasets/load');
    for (const d of listBuiltinDatasets()) process.stdout.write(`${d.name.padEnd(18)} ${d.description}\n`);
    return 0;
  },
};

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}
