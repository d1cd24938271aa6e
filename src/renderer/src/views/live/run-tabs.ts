/**
 * The tabs of a run's page (ARIA tablist): training curves, the optimizer's state, the system, the
 * config. A tab shows in place; the address follows (replaceState) so a link opens the same tab.
 */
import { h } from '../../dom';
import { routeHash, type RunTab } from '../../router';

export interface TabSpec {
  id: RunTab;
  label: string;
  panel: HTMLElement;
  /** Called the first time the tab is shown (lazy loading) and on every later show. */
  onShow?: () => void;
}

export interface RunTabs {
  element: HTMLElement;
  select(id: RunTab): void;
  current(): RunTab;
}

/** `toolbar` (the chart settings every tab's charts follow) sits under the tab list. */
export function createRunTabs(runId: string, tabs: TabSpec[], initial: RunTab = 'training', toolbar?: HTMLElement): RunTabs {
  let current: RunTab = initial;
  const buttons = tabs.map((t) =>
    h(
      'button',
      { type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-controls': `panel-${t.id}`, 'data-testid': `tab-${t.id}` },
      t.label,
    ),
  );
  const panels = tabs.map((t) =>
    h(
      'div',
      { role: 'tabpanel', id: `panel-${t.id}`, 'aria-labelledby': `tab-${t.id}`, 'data-testid': `panel-${t.id}` },
      t.panel,
    ),
  );
  const select = (id: RunTab): void => {
    current = id;
    tabs.forEach((t, i) => {
      const on = t.id === id;
      buttons[i]!.setAttribute('aria-selected', String(on));
      buttons[i]!.tabIndex = on ? 0 : -1;
      panels[i]!.hidden = !on;
      if (on) t.onShow?.();
    });
    const hash = routeHash({ view: 'run', runId, tab: id });
    if (location.hash !== hash) history.replaceState(history.state, '', hash);
  };
  buttons.forEach((b, i) => {
    b.addEventListener('click', () => select(tabs[i]!.id));
    b.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      const next = (i + step + tabs.length) % tabs.length;
      select(tabs[next]!.id);
      buttons[next]!.focus();
    });
  });
  return {
    element: h(
      'div',
      { class: 'run-tabs' },
      h('div', { role: 'tablist', class: 'tablist', 'aria-label': 'Run views' }, buttons),
      toolbar,
      panels,
    ),
    select,
    current: () => current,
  };
}
