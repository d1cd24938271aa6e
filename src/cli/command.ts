import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './context';

export interface Command {
  name: string;
  summary: string;
  /** Full help: usage line, then one line per option. */
  help: string;
  run(argv: string[]): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Every command that opens the database takes --db PATH. */
export const dbOption = { db: { type: 'string' } } as const;

/** node:util parseArgs in strict mode, with its errors turned into one-line usage errors. */
export function parse<O extends Options>(argv: string[], options: O, command: string, positionals = 0) {
  try {
    const result = parseArgs({
      args: negativeValuesAttached(argv, options),
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: positionals > 0,
      strict: true,
    });
    if (result.positionals.length > positionals) throw new UsageError(`unexpected argument '${result.positionals[positionals]}'`);
    return result;
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${e.message} (see 'dtrain ${command} --help')`);
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see 'dtrain ${command} --help')`);
  }
}

/**
 * `--steps -3` as `--steps=-3`: node's parseArgs refuses a value that starts with '-' ("argument is
 * ambiguous"), so a negative number reaches the option's own check ("must be an integer ≥ 1").
 */
function negativeValuesAttached(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i]!)?.[1];
    const next = argv[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

export function intOption(value: string | undefined, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be an integer ${range} (got '${value}')`);
  }
  return n;
}

/** --devices N means a 1-D mesh `batch=N`; --mesh gives any mesh. */
export function meshOption(values: { devices?: string; mesh?: string }): string | undefined {
  if (values.devices && values.mesh) throw new UsageError('give --devices or --mesh, not both');
  if (values.devices) return `batch=${intOption(values.devices, 'devices', 1)}`;
  return values.mesh;
}
