/**
 * Every DTRAIN_* environment variable in one table (docs/settings.md is written from it), and the
 * one parser of them. A process reads its environment once, at its edge (the CLI's start, the
 * engine's start in the Electron shell, a device worker's start), and passes the typed Settings on;
 * nothing below an edge reads process.env. A bad value is refused there in one line naming the
 * variable and what it accepts, before any run row or worker exists. Pure: the caller passes the env.
 */
import type { ComputeChoices } from './api';
import { invalidInput } from './errors';

/** What a run takes when neither its config nor the environment says otherwise. */
export const AUTO_COMPUTE: Readonly<ComputeChoices> = {
  backend: 'auto',
  nativeBlas: true,
  commThread: 'auto',
  variableStorage: 'auto',
};

/** The typed environment of one process. Paths are as given (the edge resolves them). */
export interface Settings {
  db: string | null;
  cacheDir: string | null;
  /** The decoded-image cache's bound in MiB (0: no cache); null: the default. */
  imageCacheMb: number | null;
  datasetsDir: string | null;
  userDataDir: string | null;
  dashboardDir: string | null;
  debug: boolean;
  watchdogSeconds: number | null;
  /** How long this process's leases (the runs and sweeps it trains) last without a heartbeat. */
  leaseSeconds: number;
  /** How long this process waits for a database another process holds locked before giving up. */
  dbBusySeconds: number;
  /** Only the compute choices the environment sets explicitly. */
  compute: Partial<ComputeChoices>;
}

/** No variable set. */
export const NO_SETTINGS: Readonly<Settings> = {
  db: null,
  cacheDir: null,
  imageCacheMb: null,
  datasetsDir: null,
  userDataDir: null,
  dashboardDir: null,
  debug: false,
  watchdogSeconds: null,
  leaseSeconds: 60,
  dbBusySeconds: 30,
  compute: {},
};

export interface SettingDoc {
  name: string;
  /** What the variable accepts, as the refusal says it. */
  accepts: string;
  default: string;
  what: string;
  /** Read by the tests or benchmarks only, not by dtrain. */
  testsOnly?: boolean;
}

/** Every variable dtrain, its tests and its benchmarks read. */
export const SETTINGS: readonly SettingDoc[] = [
  {
    name: 'DTRAIN_DB',
    accepts: 'a file path',
    default: '$XDG_DATA_HOME/dtrain/dtrain.db, else ~/.local/share/dtrain/dtrain.db',
    what: 'the database of the CLI and the desktop app (`--db` overrides it)',
  },
  {
    name: 'DTRAIN_CACHE_DIR',
    accepts: 'a folder path',
    default: '$XDG_CACHE_HOME/dtrain/images, else ~/.cache/dtrain/images',
    what: "where an image dataset's decoded pixels are cached",
  },
  {
    name: 'DTRAIN_IMAGE_CACHE_MB',
    accepts: 'a number of MiB ≥ 0',
    default: '256',
    what: 'the bound of the decoded images a worker keeps while it reads an image folder a batch at a time (0: none); the memory check counts it',
  },
  {
    name: 'DTRAIN_DATASETS_DIR',
    accepts: 'a folder path',
    default: "the package's resources/datasets",
    what: 'the folder of the builtin datasets',
  },
  {
    name: 'DTRAIN_USER_DATA_DIR',
    accepts: 'a folder path',
    default: "Electron's userData folder",
    what: "the desktop app's own state (caches, window storage), e.g. for tests; not the database",
  },
  {
    name: 'DTRAIN_DASHBOARD_DIR',
    accepts: 'a folder path',
    default: "the package's out/renderer",
    what: '`dtrain serve` serves the dashboard from there, building it there (once, under a lock) when it is missing',
  },
  { name: 'DTRAIN_DEBUG', accepts: '0 or 1', default: '0', what: 'the CLI prints the stack trace under its one-line error' },
  {
    name: 'DTRAIN_BACKEND',
    accepts: 'auto, tensorflow, wasm or cpu',
    default: 'auto',
    what: "a new run's tfjs backend (the run's `backend`): auto tries tensorflow → wasm → cpu on a GPU, wasm → cpu on a CPU worker; a forced one fails rather than fall back",
  },
  {
    name: 'DTRAIN_NATIVE_BLAS',
    accepts: '0 or 1',
    default: '1',
    what: "a new run's `nativeBlas`: 0 keeps OpenBLAS out of the wasm workers' matmul and convolution",
  },
  {
    name: 'DTRAIN_COMM_THREAD',
    accepts: '0, 1 or auto',
    default: 'auto',
    what: "a new run's `commThread`: 1 / 0 force the workers' communication thread on / off (docs/comm-thread.md)",
  },
  {
    name: 'DTRAIN_VARIABLE_STORAGE',
    accepts: 'auto, host or tensor',
    default: 'auto',
    what: "a new run's `variableStorage` when its config gives none",
  },
  {
    name: 'DTRAIN_WATCHDOG_SECONDS',
    accepts: 'a number of seconds > 0',
    default: '120',
    what: 'the stall watchdog of runs whose config gives no `watchdogSeconds`',
  },
  {
    name: 'DTRAIN_LEASE_SECONDS',
    accepts: 'a number of seconds ≥ 1',
    default: '60',
    what: "how long the lease on a run or sweep this process trains stays valid without a heartbeat (one every third of it); another host's dtrain may take a lease over once it has expired (docs/leases.md)",
  },
  {
    name: 'DTRAIN_DB_BUSY_SECONDS',
    accepts: 'a number of seconds ≥ 0',
    default: '30',
    what: 'how long a command waits for the database while another process holds it locked; past it, the command exits 75 ("try again later")',
  },
  {
    name: 'DTRAIN_PYTHON',
    accepts: 'a python executable',
    default: "the checkout's .venv",
    what: 'the python with Keras 3 (and numpy) the Keras tests call',
    testsOnly: true,
  },
  {
    name: 'DTRAIN_TORCH_PYTHON',
    accepts: 'a python executable',
    default: "Debian's python3-torch, else the .venv",
    what: 'the python with torch of `npm run bench -- vs-torch`',
    testsOnly: true,
  },
  {
    name: 'DTRAIN_TEST_SEED',
    accepts: 'an integer',
    default: 'a fresh seed per run, printed',
    what: 'the seed of every randomised test (tests/helpers/seed.ts), to replay a failure',
    testsOnly: true,
  },
  {
    name: 'DTRAIN_SHARED',
    accepts: 'a folder path',
    default: 'shared/ beside the checkout (or two levels up)',
    what: 'the shared reference material (the Keras fixtures) the tests read',
    testsOnly: true,
  },
  {
    name: 'DTRAIN_CRASH_SEED',
    accepts: 'an integer',
    default: 'DTRAIN_TEST_SEED',
    what: "the store's crash test's seed",
    testsOnly: true,
  },
  {
    name: 'DTRAIN_CRASH_TRIALS',
    accepts: 'an integer',
    default: '50',
    what: "how many kills the store's crash test tries",
    testsOnly: true,
  },
  {
    name: 'DTRAIN_INSTALL_TEST',
    accepts: '1',
    default: 'unset (skipped)',
    what: 'runs the slow packed-install test (npm pack + install)',
    testsOnly: true,
  },
  {
    name: 'DTRAIN_KERAS_CASES_DIR',
    accepts: 'a folder path',
    default: 'dtrain-keras-cases-<hash> in the temp folder',
    what: 'where the live-Keras tests keep the models and numbers tests/helpers/keras_cases.py makes (reused while it and Keras are unchanged)',
    testsOnly: true,
  },
  {
    name: 'DTRAIN_KERAS_ARCHITECTURES',
    accepts: '1',
    default: 'unset (skipped)',
    what: 'runs the slow whole-architecture tests against live Keras (ResNet50, MobileNetV2, EfficientNetB0, DenseNet121, Xception)',
    testsOnly: true,
  },
];

type Env = Readonly<Record<string, string | undefined>>;

const refuse = (name: string, value: string): never => {
  const doc = SETTINGS.find((s) => s.name === name)!;
  throw invalidInput(`${name} must be ${doc.accepts} (got '${value}')`);
};

function oneOf<T extends string>(env: Env, name: string, values: readonly T[]): T | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  return values.includes(v as T) ? (v as T) : refuse(name, v);
}

function flag(env: Env, name: string): boolean | undefined {
  const v = oneOf(env, name, ['0', '1'] as const);
  return v === undefined ? undefined : v === '1';
}

const text = (env: Env, name: string): string | null => (env[name] ? env[name] : null);

/** A finite number `ok` accepts; null when unset. */
function number(env: Env, name: string, ok: (v: number) => boolean): number | null {
  const v = env[name];
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) && ok(n) ? n : refuse(name, v);
}

/** The typed settings of this environment; throws an invalid-input ApiError naming the first bad variable. */
export function readSettings(env: Env): Settings {
  const watchdogSeconds = number(env, 'DTRAIN_WATCHDOG_SECONDS', (v) => v > 0);
  const imageCacheMb = number(env, 'DTRAIN_IMAGE_CACHE_MB', (v) => v >= 0);
  const leaseSeconds = number(env, 'DTRAIN_LEASE_SECONDS', (v) => v >= 1) ?? NO_SETTINGS.leaseSeconds;
  const dbBusySeconds = number(env, 'DTRAIN_DB_BUSY_SECONDS', (v) => v >= 0) ?? NO_SETTINGS.dbBusySeconds;
  const thread = oneOf(env, 'DTRAIN_COMM_THREAD', ['0', '1', 'auto'] as const);
  const compute: Partial<ComputeChoices> = {
    ...definedAs('backend', oneOf(env, 'DTRAIN_BACKEND', ['auto', 'tensorflow', 'wasm', 'cpu'] as const)),
    ...definedAs('nativeBlas', flag(env, 'DTRAIN_NATIVE_BLAS')),
    ...definedAs('commThread', thread === undefined ? undefined : thread === '1' ? 'on' : thread === '0' ? 'off' : 'auto'),
    ...definedAs('variableStorage', oneOf(env, 'DTRAIN_VARIABLE_STORAGE', ['auto', 'host', 'tensor'] as const)),
  };
  return {
    db: text(env, 'DTRAIN_DB'),
    cacheDir: text(env, 'DTRAIN_CACHE_DIR'),
    imageCacheMb,
    datasetsDir: text(env, 'DTRAIN_DATASETS_DIR'),
    userDataDir: text(env, 'DTRAIN_USER_DATA_DIR'),
    dashboardDir: text(env, 'DTRAIN_DASHBOARD_DIR'),
    debug: flag(env, 'DTRAIN_DEBUG') ?? false,
    watchdogSeconds,
    leaseSeconds,
    dbBusySeconds,
    compute,
  };
}

const definedAs = <K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [k in K]?: V };

/** The variable that sets each compute choice, for notes and the doctor's reasons. */
export const COMPUTE_VARIABLES: Readonly<Record<keyof ComputeChoices, string>> = {
  backend: 'DTRAIN_BACKEND',
  nativeBlas: 'DTRAIN_NATIVE_BLAS',
  commThread: 'DTRAIN_COMM_THREAD',
  variableStorage: 'DTRAIN_VARIABLE_STORAGE',
};

/** DTRAIN_* names in `env` that no table row knows (a typo would otherwise be ignored in silence). */
export function unknownVariables(env: Env): string[] {
  return Object.keys(env).filter((k) => k.startsWith('DTRAIN_') && !SETTINGS.some((s) => s.name === k));
}

/** A compute choice as a person reads it (`dtrain show`, notes). */
export function describeCompute(c: ComputeChoices): string {
  return `backend ${c.backend}, native BLAS ${c.nativeBlas ? 'on' : 'off'}, communication thread ${c.commThread}, variable storage ${c.variableStorage}`;
}
