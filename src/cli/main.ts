/** dtrain: the headless front end of the trainer (train, resume, runs, show, export, serve, ...). */
import type { Command } from './command';
import { UsageError, cliSettings } from './context';
import { unknownVariables } from '../shared/settings';
import { exitCodeFor, toApiError } from '../shared/errors';
import { trainCommand } from './commands/train';
import { resumeCommand } from './commands/resume';
import { runsCommand } from './commands/runs';
import { showCommand } from './commands/show';
import { exportCommand } from './commands/export';
import { importConfigCommand } from './commands/import-config';
import { devicesCommand } from './commands/devices';
import { datasetsCommand } from './commands/datasets';
import { serveCommand } from './commands/serve';
import { doctorCommand } from './commands/doctor';
import { evaluateCommand } from './commands/evaluate';
import { sweepCommand } from './commands/sweep';
import { deleteCommand } from './commands/delete';

const COMMANDS: Command[] = [
  trainCommand,
  resumeCommand,
  runsCommand,
  showCommand,
  deleteCommand,
  exportCommand,
  evaluateCommand,
  sweepCommand,
  importConfigCommand,
  serveCommand,
  devicesCommand,
  datasetsCommand,
  doctorCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: dtrain COMMAND [options]

Trains models on this machine's GPUs (or CPU workers) with a sharded, Keras-exact Adadelta.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run 'dtrain COMMAND --help' for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const command = COMMANDS.find((c) => c.name === rest[0]);
    process.stdout.write(`${command ? command.help : usage()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  // The environment is read once, here: a bad DTRAIN_* value stops every command before it starts.
  cliSettings();
  for (const name of unknownVariables(process.env))
    process.stderr.write(`dtrain: warning: ${name} is not a dtrain setting (they are listed in docs/settings.md)\n`);
  return command.run(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  // Every failure a user can cause is one line, never a stack trace (DTRAIN_DEBUG=1 shows it).
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`dtrain: error: ${message}\n`);
  if (debugging() && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  // The error contract decides the code, by the error's class: the user's input or a missing run (2),
  // a conflict, a held lock or the engine (1).
  process.exitCode = exitCodeFor(toApiError(e).code);
}
// Exit now instead of letting the event loop drain. Node's teardown closes the SIGINT handles first,
// and a Ctrl-C typed while it frees the rest then gets the default action: a clean pause ended 130.
// process.exit keeps the handlers installed to the end. Output is not lost: on Linux, stdout and
// stderr are written synchronously to files, pipes and terminals.
process.exit();

/** DTRAIN_DEBUG=1; a bad DTRAIN_* value is itself the error being printed, so it counts as off. */
function debugging(): boolean {
  try {
    return cliSettings().debug;
  } catch {
    return false;
  }
}
