#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI on the user's machine (needs network: Electron's headers).
//
//   node scripts/rebuild-native.mjs [--dry-run] [--out <dir>] [--in-place]
//
// Default: builds a copy of the package under native/electron/ (or --out), so node_modules keeps the
// Node build that `npm test` needs; the Electron main process opens the store with
// `RunStore.open(path, { nativeBinding: '<out>/node_modules/better-sqlite3/build/Release/better_sqlite3.node' })`.
// --in-place rebuilds node_modules/better-sqlite3 itself (what @electron/rebuild normally does);
// afterwards `npm rebuild better-sqlite3` restores the Node build for `npm test`.
// --dry-run prints what would run and changes nothing.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const HEADERS = 'https://electronjs.org/headers';

function parseArgs(argv) {
  const args = { dryRun: false, inPlace: false, out: join(root, 'native', 'electron') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dry-run') args.dryRun = true;
    else if (argv[i] === '--in-place') args.inPlace = true;
    else if (argv[i] === '--out') args.out = resolve(argv[++i] ?? '');
    else throw new Error(`unknown argument ${argv[i]} (use --dry-run, --out <dir>, --in-place)`);
  }
  return args;
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    return null;
  }
}

/** The build command for a project directory whose node_modules holds better-sqlite3. */
function buildCommand(projectDir, electronVersion) {
  if (packageVersion('@electron/rebuild')) {
    return ['npx', ['@electron/rebuild', '-f', '-w', 'better-sqlite3', '-v', electronVersion, '-m', projectDir]];
  }
  return [
    'npm',
    [
      'rebuild',
      'better-sqlite3',
      '--runtime=electron',
      `--target=${electronVersion}`,
      `--dist-url=${HEADERS}`,
      `--arch=${process.arch}`,
    ],
  ];
}

function run(step, [cmd, args], cwd, dryRun) {
  console.log(`${dryRun ? '[dry-run] would run' : 'running'} (in ${relative(root, cwd) || '.'}): ${cmd} ${args.join(' ')}`);
  if (dryRun) return;
  const result = spawnSync(cmd, args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) throw new Error(`${step} failed (exit ${result.status ?? result.signal})`);
}

/** Copies better-sqlite3 (without its Node build) into <out>/node_modules, as a tiny project of its own. */
function stage(out, dryRun) {
  const source = dirname(require.resolve('better-sqlite3/package.json'));
  const target = join(out, 'node_modules', 'better-sqlite3');
  console.log(
    `${dryRun ? '[dry-run] would copy' : 'copying'} ${relative(root, source)} → ${relative(root, target)} (without build/)`,
  );
  if (dryRun) return;
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true, filter: (p) => !p.startsWith(join(source, 'build')) });
  writeFileSync(
    join(out, 'package.json'),
    JSON.stringify(
      { name: 'dtrain-electron-native', private: true, dependencies: { 'better-sqlite3': packageVersion('better-sqlite3') } },
      null,
      2,
    ),
  );
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const electronVersion = packageVersion('electron');
  if (!electronVersion) throw new Error('electron is not installed (node_modules/electron/package.json is missing)');
  console.log(
    `better-sqlite3 ${packageVersion('better-sqlite3')} for Electron ${electronVersion} (${process.platform}-${process.arch}); headers from ${HEADERS}`,
  );
  console.log(
    `builder: ${packageVersion('@electron/rebuild') ? '@electron/rebuild' : 'npm rebuild (no @electron/rebuild installed)'}`,
  );
  if (args.inPlace) {
    run('in-place rebuild', buildCommand(root, electronVersion), root, args.dryRun);
    console.log(
      'node_modules/better-sqlite3 now targets Electron: run `npm rebuild better-sqlite3` to restore the Node build before `npm test`.',
    );
    return;
  }
  stage(args.out, args.dryRun);
  run('electron build', buildCommand(args.out, electronVersion), args.out, args.dryRun);
  const binding = join(args.out, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  if (!args.dryRun && !existsSync(binding)) throw new Error(`the build finished but ${binding} is missing`);
  console.log(`${args.dryRun ? 'would produce' : 'built'} ${relative(root, binding)}`);
  console.log(
    'Pass it as RunStore.open(path, { nativeBinding }) in the Electron main process; node_modules keeps the Node build for npm test.',
  );
}

try {
  main();
} catch (error) {
  console.error(`rebuild-native: ${error.message}`);
  process.exit(1);
}
