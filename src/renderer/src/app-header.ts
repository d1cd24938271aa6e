/** The app's header bar: brand, navigation (with the last run's Live link), connection, theme, help. */
import { h } from './dom';
import type { Route } from './router';

export interface AppHeader {
  element: HTMLElement;
  status: HTMLElement;
  themeButton: HTMLButtonElement;
  helpButton: HTMLButtonElement;
  /** Points the Live link (and the L shortcut) at a run. */
  setLiveRun(runId: string): void;
  liveHref(): string | null;
  markCurrent(route: Route): void;
}

function navLink(label: string, href: string, testid: string, key: string): HTMLAnchorElement {
  return h('a', { href, class: 'nav-link', 'data-testid': testid, 'aria-keyshortcuts': key }, label);
}

function iconButton(testid: string, label: string, title: string, text: string): HTMLButtonElement {
  return h('button', { type: 'button', class: 'icon-button', 'data-testid': testid, 'aria-label': label, title }, text);
}

export function createAppHeader(): AppHeader {
  const links = {
    new: navLink('New run', '#/new', 'nav-new', 'N'),
    runs: navLink('Runs', '#/runs', 'nav-runs', 'R'),
    sweeps: navLink('Sweeps', '#/sweeps', 'nav-sweeps', 'S'),
    live: navLink('Live', '#/runs', 'nav-live', 'L'),
  };
  links.live.hidden = true;
  const status = h('span', { class: 'connection', 'data-testid': 'connection-state', role: 'status' });
  const themeButton = iconButton('theme-toggle', 'Toggle light or dark theme', 'Toggle theme (T)', '◐');
  const helpButton = iconButton('help-button', 'Keyboard shortcuts and help', 'Help (?)', '?');
  const element = h(
    'header',
    { class: 'app-header' },
    h('span', { class: 'brand' }, 'dtrain'),
    h('nav', { 'aria-label': 'Main' }, links.new, links.runs, links.sweeps, links.live),
    h('div', { class: 'header-tools' }, status, themeButton, helpButton),
  );
  return {
    element,
    status,
    themeButton,
    helpButton,
    setLiveRun(runId) {
      links.live.hidden = false;
      links.live.href = `#/run/${encodeURIComponent(runId)}`;
    },
    liveHref: () => (links.live.hidden ? null : links.live.getAttribute('href')),
    markCurrent(route) {
      links.new.toggleAttribute('aria-current', route.view === 'new');
      links.runs.toggleAttribute('aria-current', route.view === 'runs' || route.view === 'compare');
      links.sweeps.toggleAttribute('aria-current', route.view === 'sweeps' || route.view === 'sweep');
      links.live.toggleAttribute('aria-current', route.view === 'run');
    },
  };
}
