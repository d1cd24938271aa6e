import type { Command } from '../command';
import { dbOption, intOption, parse } from '../command';
import { UsageError, withService } from '../context';
import { readConfig, withPathsFromConfigFolder } from './train';
import { readJsonFile, printSweep, printSweeps } from './sweep-output';
import { ignoreInterruptsWhileFinishing } from './follow';

type Service = Parameters<Parameters<typeof withService>[2]>[0];

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'run a hyperparameter sweep; list, show or resume sweeps',
  help: `Usage: dtrain sweep --config BASE.json --space SPACE.json [options]
       dtrain sweep list [--json]
       dtrain sweep show ID [--json]
       dtrain sweep resume ID [--take-over]

Runs one ordinary run per trial of the search space (trials in parallel on disjoint device groups when
a trial needs fewer devices than there are), prunes poor trials by successive halving, and prints the
sweep's id first. Ctrl-C pauses (running trials pause after a checkpoint); 'sweep resume ID' continues
without repeating a finished trial.

  --config FILE            base run config (needs data.validation for a val_* objective)
  --space FILE             config path → list of values, {"log": [a, b]}, {"uniform": [a, b]} or {"int": [a, b]}
  --trials N               random: number of draws (default 10); grid: the first N combinations
  --devices-per-trial K    devices per trial (default 1; CPU workers count as devices)
  --method grid|random     default: grid when every entry is a list, else random
  --seed S                 seed for random draws (default 0)
  --monitor NAME           the objective (default val_loss)
  --mode min|max           default: max for accuracy-like names, else min
  --eta N                  successive halving: the top 1/eta of a rung go on (default 3)
  --min-evals N            evaluations at the first rung (default 1)
  --name NAME              sweep name
  --cpu                    CPU workers even if GPUs are present
  --take-over              (sweep resume) take the sweep from the dtrain process that holds it, even if
                           it looks alive: only when you know it is gone (see dtrain resume --help)
  --db PATH                database file`,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'list') return list(rest);
    if (sub === 'show') return show(rest);
    if (sub === 'resume') return resume(rest);
    return start(argv);
  },
};

async function start(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      ...dbOption,
      config: { type: 'string' },
      space: { type: 'string' },
      trials: { type: 'string' },
      'devices-per-trial': { type: 'string' },
      method: { type: 'string' },
      seed: { type: 'string' },
      monitor: { type: 'string' },
      mode: { type: 'string' },
      eta: { type: 'string' },
      'min-evals': { type: 'string' },
      name: { type: 'string' },
      cpu: { type: 'boolean' },
    },
    'sweep',
  );
  if (!values.config) throw new UsageError("missing --config BASE.json (see 'dtrain sweep --help')");
  if (!values.space) throw new UsageError("missing --space SPACE.json (see 'dtrain sweep --help')");
  if (values.method !== undefined && values.method !== 'grid' && values.method !== 'random')
    throw new UsageError(`--method must be grid or random (got '${values.method}')`);
  if (values.mode !== undefined && values.mode !== 'min' && values.mode !== 'max')
    throw new UsageError(`--mode must be min or max (got '${values.mode}')`);
  const baseConfig = withPathsFromConfigFolder(readConfig(values.config), values.config);
  const space = readJsonFile(values.space, 'space');
  const spec = {
    baseConfig,
    space,
    method: values.method as 'grid' | 'random' | undefined,
    trials: intOption(values.trials, 'trials', 1),
    devicesPerTrial: intOption(values['devices-per-trial'], 'devices-per-trial', 1),
    seed: intOption(values.seed, 'seed'),
    monitor: values.monitor,
    mode: values.mode as 'min' | 'max' | undefined,
    eta: intOption(values.eta, 'eta', 2),
    minEvals: intOption(values['min-evals'], 'min-evals', 1),
    name: values.name,
  };
  return withService(values.db, { cpuOnly: values.cpu, quiet: true }, async (service) => {
    const { sweepId } = await service.createSweep(spec);
    process.stdout.write(`sweep ${sweepId}\n`);
    return follow(service, sweepId);
  });
}

async function resume(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...dbOption, cpu: { type: 'boolean' }, 'take-over': { type: 'boolean' } },
    'sweep resume',
    1,
  );
  if (!positionals[0]) throw new UsageError("missing ID (see 'dtrain sweep list')");
  return withService(values.db, { cpuOnly: values.cpu, quiet: true }, async (service) => {
    await service.getSweep(positionals[0]!); // no such sweep: not-found, exit 2
    process.stdout.write(`sweep ${positionals[0]}\n`);
    return follow(service, positionals[0]!, { takeOver: values['take-over'] });
  });
}

/** Runs the sweep with a line per finished trial; the first Ctrl-C pauses it. */
async function follow(service: Service, sweepId: string, options: { takeOver?: boolean } = {}): Promise<number> {
  const reported = new Set<string>();
  const off = service.subscribe((e) => {
    if (e.type !== 'status' || reported.has(e.runId) || e.status === 'running') return;
    void service.getSweep(sweepId).then(
      (s) => {
        const t = s.trials.find((x) => x.runId === e.runId);
        if (!t || reported.has(e.runId)) return;
        reported.add(e.runId);
        process.stdout.write(
          `trial #${t.index} run ${e.runId} ${t.status} at step ${e.step}: ${s.objective.monitor} ${t.objective?.toPrecision(6) ?? '—'}\n`,
        );
      },
      () => undefined,
    );
  });
  const onSigint = () => {
    process.stderr.write('\npausing the sweep (running trials pause after a checkpoint)...\n');
    service.pauseSweep(sweepId);
  };
  process.on('SIGINT', onSigint);
  try {
    const status = await service.runSweep(sweepId, options);
    off();
    printSweep(await service.getSweep(sweepId), false);
    if (status === 'paused') process.stdout.write(`sweep ${sweepId} paused; continue with: dtrain sweep resume ${sweepId}\n`);
    return status === 'failed' ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    ignoreInterruptsWhileFinishing();
  }
}

async function list(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...dbOption, json: { type: 'boolean' } }, 'sweep list');
  return withService(values.db, { quiet: true }, async (service) => {
    printSweeps(await service.listSweeps(), values.json ?? false);
    return 0;
  });
}

async function show(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...dbOption, json: { type: 'boolean' } }, 'sweep show', 1);
  if (!positionals[0]) throw new UsageError("missing ID (see 'dtrain sweep list')");
  return withService(values.db, { quiet: true }, async (service) => {
    printSweep(await service.getSweep(positionals[0]!), values.json ?? false);
    return 0;
  });
}
