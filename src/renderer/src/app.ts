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

function navLink(label: string, href: string, testid: string, key: string): HTMLAnchorElement {
  return h('a', { href, class: 'nav-link', 'data-testid': testid, 'aria-keyshortcuts': key }, label);
}

export function createApp(root: HTMLElement, connection: Connection): App {
  let view: View | null = null;
  const ctx: ViewContext = {
    api: connection.api,
    setLastRun: (id) => {
      sessionStorage.setItem(LAST_RUN_KEY, id);
      liveLink.hidden = false;
      liveLink.href = `#/run/${encodeURIComponent(id)}`;
    },
  };

  const links = {
    new: navLink('New run', '#/new', 'nav-new', 'N'),
    runs: navLink('Runs', '#/runs', 'nav-runs', 'R'),
    sweeps: navLink('Sweeps', '#/sweeps', 'nav-sweeps', 'S'),
  };
  const liveLink = navLink('Live', '#/runs', 'nav-live', 'L');
  liveLink.hidden = true;
  const status = h('span', { class: 'connection', 'data-testid': 'connection-state', role: 'status' });
  const themeButton = h(
    'button',
    {
      type: 'button',
      class: 'icon-button',
      'data-testid': 'theme-toggle',
      'aria-label': 'Toggle light or dark theme',
      title: 'Toggle theme (T)',
    },
    '◐',
  );
  const helpButton = h(
    'button',
    {
      type: 'button',
      class: 'icon-button',
      'data-testid': 'help-button',
      'aria-label': 'Keyboard shortcuts and help',
      title: 'Help (?)',
    },
    '?',
  );
  const help = createHelpDialog(connection.mode);
  const main = h('main', { id: 'main', tabindex: '-1', class: 'main' });

  replaceChildren(
    root,
    h('a', { href: '#main', class: 'skip-link' }, 'Skip to content'),
    h(
      'header',
      { class: 'app-header' },
      h('span', { class: 'brand' }, 'dtrain'),
      h('nav', { 'aria-label': 'Main' }, links.new, links.runs, links.sweeps, liveLink),
      h('div', { class: 'header-tools' }, status, themeButton, helpButton),
    ),
    main,
    help,
  );
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
  if (lastRun) ctx.setLastRun(lastRun);

  const mount = (route: Route, focus: boolean): void => {
    view?.dispose();
    view = makeView(route, ctx);
    replaceChildren(main, view.element);
    document.title = `${view.title} · dtrain`;
    links.new.toggleAttribute('aria-current', route.view === 'new');
    links.runs.toggleAttribute('aria-current', route.view === 'runs' || route.view === 'compare');
    links.sweeps.toggleAttribute('aria-current', route.view === 'sweeps' || route.view === 'sweep');
    liveLink.toggleAttribute('aria-current', route.view === 'run');
    // Move focus to the new content so keyboard and screen-reader users land on it.
    if (focus) main.focus({ preventScroll: true });
  };
  const onHash = (): void => mount(parseRoute(location.hash), true);
  window.addEventListener('hashchange', onHash);

  const openHelp = (): void => {
    if (!help.open) help.showModal();
  };
  const runCommand = (command: ShellCommand): void => {
    if (command === 'new-run') navigate({ view: 'new' });
    else if (command === 'open-runs') navigate({ view: 'runs' });
    else if (command === 'toggle-theme') toggleTheme();
    else openHelp();
  };
  themeButton.addEventListener('click', () => toggleTheme());
  helpButton.addEventListener('click', openHelp);
  connection.onShellCommand(runCommand);

  document.addEventListener('keydown', (e) => {
    if (help.open || e.defaultPrevented || e.altKey || e.metaKey) return;
    if (view?.onKey?.(e)) return e.preventDefault();
    if (e.ctrlKey || isTypingTarget(e.target)) return;
    const command = ({ n: 'new-run', r: 'open-runs', t: 'toggle-theme', '?': 'show-help' } as const)[e.key.toLowerCase() as 'n'];
    if (command) {
      e.preventDefault();
      runCommand(command);
    } else if (e.key.toLowerCase() === 's') {
      e.preventDefault();
      navigate({ view: 'sweeps' });
    } else if (e.key.toLowerCase() === 'l' && !liveLink.hidden) {
      e.preventDefault();
      location.hash = liveLink.getAttribute('href')!;
    }
  });

  mount(parseRoute(location.hash), false);
  return {
    setConnectionState(state) {
      status.dataset.state = state;
      status.textContent =
        connection.mode === 'desktop'
          ? ''
          : state === 'open'
            ? 'Connected'
            : state === 'connecting'
              ? 'Connecting…'
              : state === 'refused'
                ? 'Not connected'
                : 'Disconnected — retrying';
      status.hidden = connection.mode === 'desktop';
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
      return createLiveView(ctx, route.runId);
    case 'compare':
      return createCompareView(ctx, route.runIds);
    case 'sweeps':
      return createSweepsView(ctx);
    case 'sweep':
      return createSweepView(ctx, route.sweepId);
  }
}
