/** Hash routes, so the same build works from file:// (Electron) and http:// (web mode). */

/** The tabs of a run's page. */
export const RUN_TABS = ['training', 'optimizer', 'system', 'config'] as const;
export type RunTab = (typeof RUN_TABS)[number];

export type Route =
  | { view: 'new'; fromRunId?: string }
  | { view: 'runs' }
  | { view: 'run'; runId: string; tab?: RunTab }
  | { view: 'compare'; runIds: string[] }
  | { view: 'sweeps' }
  | { view: 'sweep'; sweepId: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'run' && parts[1]) {
    const tab = RUN_TABS.find((t) => t === parts[2]);
    return tab ? { view: 'run', runId: parts[1], tab } : { view: 'run', runId: parts[1] };
  }
  if (parts[0] === 'compare' && parts[1]) return { view: 'compare', runIds: parts[1].split(',').filter(Boolean) };
  if (parts[0] === 'runs') return { view: 'runs' };
  if (parts[0] === 'sweeps') return { view: 'sweeps' };
  if (parts[0] === 'sweep' && parts[1]) return { view: 'sweep', sweepId: parts[1] };
  if (parts[0] === 'new' && parts[1]) return { view: 'new', fromRunId: parts[1] };
  return { view: 'new' };
}

export function routeHash(route: Route): string {
  switch (route.view) {
    case 'new':
      return route.fromRunId ? `#/new/${encodeURIComponent(route.fromRunId)}` : '#/new';
    case 'runs':
      return '#/runs';
    case 'run':
      return `#/run/${encodeURIComponent(route.runId)}${route.tab && route.tab !== 'training' ? `/${route.tab}` : ''}`;
    case 'compare':
      return `#/compare/${route.runIds.map(encodeURIComponent).join(',')}`;
    case 'sweeps':
      return '#/sweeps';
    case 'sweep':
      return `#/sweep/${encodeURIComponent(route.sweepId)}`;
  }
}

export function navigate(route: Route): void {
  const hash = routeHash(route);
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}
