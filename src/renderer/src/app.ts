/**
 * The application shell: header with navigation, theme and help; one view at a time in <main>,
 * chosen by the URL hash; global shortcuts; connection state in web mode.
 */
import type { ShellCommand } from '../../shared/transport';
import type { Connection } from './connect';
import { h, isTypingTarget, replaceChildren } from './dom';
import { navigate, parseRoute, type Route } from './router';
import { createHelpDialog } from './shortcuts';
import { toggleTheme } from './theme';
import { createAppHeader } from './app-header';
import { mountToasts } from './toast';
import type { View, ViewContext } from './view';
import type { ConnectionState } from './ws-api';
import { createNewRunView } from './views/new-run/new-run-view';
import { createLiveView } from './views/live/live-view';
import { createRunsView } from './views/runs/runs-view';
import { createCompareView } from './views/runs/compare-view';
import { createSweepView } from './views/sweeps/sweep-view';
import { createSweepsView } from './views/sweeps/sweeps-view';

const LAST_RUN_KEY = 'dtrain.lastRun';

export interface App {
  setConnectionState(state: ConnectionState): void;
  /** Shows why the page cannot connect (no token, or one the server refuses). */
  showProblem(message: string): void;
  /** Re-mounts the current view (after a reconnect, its data may be stale). */
  reload(): void;
}

/** Global single-key shortcuts (views get the key first); `s` and `l` are the app's own. */
function bindShortcuts(
  help: HTMLDialogElement,
  view: () => View | null,
  run: (c: ShellCommand) => void,
  liveHref: () => string | null,
): void {
  document.addEventListener('keydown', (e) => {
    if (help.open || e.defaultPrevented || e.altKey || e.metaKey) return;
    if (view()?.onKey?.(e)) return e.preventDefault();
    if (e.ctrlKey || isTypingTarget(e.target)) return;
    const key = e.key.toLowerCase();
    const command = ({ n: 'new-run', r: 'open-runs', t: 'toggle-theme', '?': 'show-help' } as const)[key as 'n'];
    const live = liveHref();
    if (command) runOrNavigate(e, () => run(command));
    else if (key === 's') runOrNavigate(e, () => navigate({ view: 'sweeps' }));
    else if (key === 'l' && live) runOrNavigate(e, () => (location.hash = live));
  });
}

function runOrNavigate(e: KeyboardEvent, action: () => void): void {
  e.preventDefault();
  action();
}

/** The connection line in the header (web mode only). */
function connectionText(mode: Connection['mode'], state: ConnectionState): string {
  if (mode === 'desktop') return '';
  const texts: Record<ConnectionState, string> = {
    open: 'Connected',
    connecting: 'Connecting…',
    refused: 'Not connected',
    closed: 'Disconnected — retrying',
  };
  return texts[state] ?? 'Disconnected — retrying';
}

export function createApp(root: HTMLElement, connection: Connection): App {
  let view: View | null = null;
  const header = createAppHeader();
  const ctx: ViewContext = {
    api: connection.api,
    setLastRun: (id) => {
      sessionStorage.setItem(LAST_RUN_KEY, id);
      header.setLiveRun(id);
    },
  };
  const help = createHelpDialog(connection.mode);
  const main = h('main', { id: 'main', tabindex: '-1', class: 'main' });
  replaceChildren(root, h('a', { href: '#main', class: 'skip-link' }, 'Skip to content'), header.element, main, help);
  mountToasts(root);
  // One banner for a missing token (known at once) and a refused one (known after the server answers).
  let problemBanner: HTMLElement | null = null;
  const showProblem = (message: string): void => {
    if (problemBanner) return void (problemBanner.textContent = message);
    problemBanner = h(
      'div',
      { class: 'banner banner-error page-banner', role: 'alert', 'data-testid': 'connection-problem' },
      message,
    );
    main.before(problemBanner);
  };
  if (connection.problem) showProblem(connection.problem);
  const lastRun = sessionStorage.getItem(LAST_RUN_KEY);
  if (lastRun) header.setLiveRun(lastRun);
  const mount = (route: Route, focus: boolean): void => {
    view?.dispose();
    view = makeView(route, ctx);
    replaceChildren(main, view.element);
    document.title = `${view.title} · dtrain`;
    header.markCurrent(route);
    // Move focus to the new content so keyboard and screen-reader users land on it.
    if (focus) main.focus({ preventScroll: true });
  };
  window.addEventListener('hashchange', () => mount(parseRoute(location.hash), true));
  const openHelp = (): void => void (help.open || help.showModal());
  const runCommand = (command: ShellCommand): void => {
    if (command === 'new-run') navigate({ view: 'new' });
    else if (command === 'open-runs') navigate({ view: 'runs' });
    else if (command === 'toggle-theme') toggleTheme();
    else openHelp();
  };
  header.themeButton.addEventListener('click', () => toggleTheme());
  header.helpButton.addEventListener('click', openHelp);
  connection.onShellCommand(runCommand);
  bindShortcuts(help, () => view, runCommand, header.liveHref);
  mount(parseRoute(location.hash), false);
  return {
    setConnectionState(state) {
      header.status.dataset.state = state;
      header.status.textContent = connectionText(connection.mode, state);
      header.status.hidden = connection.mode === 'desktop';
    },
    showProblem,
    // The form is left alone: re-mounting it would throw away what the user typed.
    reload: () => {
      const route = parseRoute(location.hash);
      if (route.view !== 'new') mount(route, false);
    },
  };
}

function makeView(route: Route, ctx: ViewContext): View {
  switch (route.view) {
    case 'new':
      return createNewRunView(ctx, route.fromRunId);
    case 'runs':
      return createRunsView(ctx);
    case 'run':
      return createLiveView(ctx, route.runId, route.tab);
    case 'compare':
      return createCompareView(ctx, route.runIds);
    case 'sweeps':
      return createSweepsView(ctx);
    case 'sweep':
      return createSweepView(ctx, route.sweepId);
  }
}
