import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from '../command';
import { intOption, parse } from '../command';
import { openService } from '../context';
import { DEMO_RUN } from '../demo';
import { isLoopbackHost } from '../../engine/serve/security';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STATIC_DIR = `${ROOT}out/renderer`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'open the dashboard in any browser (web mode)',
  help: `Usage: dtrain serve [options]

Serves the same dashboard as the desktop app over http, with the API over a WebSocket. Only this
machine can connect (127.0.0.1) unless --host says otherwise; the printed URL carries a random token
without which the API refuses connections.

  --port N      port (default: a free one)
  --host ADDR   listen address (default 127.0.0.1)
  --demo        start a small demo run (Iris, 2 CPU workers) so there is something to watch
  --cpu         use CPU workers even if GPUs are present
  --db PATH     database file`,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        port: { type: 'string' },
        host: { type: 'string' },
        demo: { type: 'boolean' },
        cpu: { type: 'boolean' },
        db: { type: 'string' },
      },
      'serve',
    );
    const port = intOption(values.port, 'port', 0, 65535);
    ensureRendererBuilt();
    const { startServer } = await import('../../engine/serve/index');
    const service = await openService(values.db, { cpuOnly: values.cpu });
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      server = await startServer({
        api: service,
        subscribe: (l) => service.subscribe(l),
        staticDir: STATIC_DIR,
        host: values.host,
        port,
        log: (line) => process.stderr.write(`${line}\n`),
      });
    } catch (e) {
      await service.shutdown();
      throw e;
    }
    process.stdout.write(`dtrain dashboard: ${server.url}\n`);
    if (values.host && !isLoopbackHost(values.host)) {
      // Beyond loopback the token is the only lock: say so, and where the dashboard now answers.
      process.stderr.write(
        `warning: listening on ${values.host}: the dashboard is reachable from the network by anyone who has the token\n`,
      );
      for (const url of server.networkUrls) process.stderr.write(`  reachable at ${url}\n`);
    }
    if (values.demo) {
      const { runId } = await service.startRun(DEMO_RUN);
      process.stdout.write(`demo run ${runId} started\n`);
    }
    await new Promise<void>((resolve) => {
      const quit = () => resolve();
      process.once('SIGINT', quit);
      process.once('SIGTERM', quit);
    });
    process.stdout.write('shutting down (active runs are paused after a checkpoint)...\n');
    await server.close();
    await service.shutdown();
    return 0;
  },
};

/** Web mode serves out/renderer; build it on first use so `dtrain serve` works after a plain install. */
function ensureRendererBuilt(): void {
  if (existsSync(`${STATIC_DIR}/index.html`)) return;
  process.stderr.write('building the dashboard (first start only)...\n');
  const r = spawnSync(process.execPath, [`${ROOT}node_modules/electron-vite/bin/electron-vite.js`, 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0 || !existsSync(`${STATIC_DIR}/index.html`))
    throw new Error('building the dashboard failed; run `npm run build` to see why');
}
