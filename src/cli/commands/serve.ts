import { fileURLToPath } from 'node:url';
import type { Command } from '../command';
import { intOption, parse } from '../command';
import { cliSettings, openService } from '../context';
import { ensureDashboardBuilt } from '../dashboard-build';
import { DEMO_RUN } from '../demo';
import { isLoopbackHost } from '../../engine/serve/security';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where the built dashboard is served from (built there on first use); DTRAIN_DASHBOARD_DIR moves it. */
const staticDir = (): string => cliSettings().dashboardDir ?? `${ROOT}out/renderer`;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'open the dashboard in any browser (web mode)',
  help: `Usage: dtrain serve [options]

Serves the same dashboard as the desktop app over http, with the API over a WebSocket. Only this
machine can connect (127.0.0.1) unless --host says otherwise; the printed URL carries a random token
without which the API refuses connections.

  --port N      port (default: a free one)
  --host ADDR   listen address (default 127.0.0.1)
  --demo        start a small demo run (Iris, 2 CPU workers, paced to last about a minute) and
                print the address of its live page
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
    const log = (line: string) => process.stderr.write(`${line}\n`);
    await ensureDashboardBuilt({ dir: staticDir(), root: `${ROOT}src/renderer`, log });
    const { startServer } = await import('../../engine/serve/index');
    const service = await openService(values.db, { cpuOnly: values.cpu });
    let server: Awaited<ReturnType<typeof startServer>>;
    try {
      server = await startServer({
        api: service,
        subscribe: (l) => service.subscribe(l),
        staticDir: staticDir(),
        host: values.host,
        port,
        log,
      });
    } catch (e) {
      await service.shutdown();
      throw e;
    }
    // With --demo the address opens on the demo run's live page, so a newcomer sees a run train.
    const demo = values.demo ? await service.startRun(DEMO_RUN) : null;
    if (demo) process.stdout.write(`demo run ${demo.runId} started\n`);
    process.stdout.write(`dtrain dashboard: ${server.url}${demo ? `#/run/${demo.runId}` : ''}\n`);
    if (values.host && !isLoopbackHost(values.host)) {
      // Beyond loopback the token is the only lock: say so, and where the dashboard now answers.
      process.stderr.write(
        `warning: listening on ${values.host}: the dashboard is reachable from the network by anyone who has the token\n`,
      );
      for (const url of server.networkUrls) process.stderr.write(`  reachable at ${url}\n`);
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
