/** Hash routes, so the same build works from file:// (Electron) and http:// (web mode). */

export type Route =
  | { view: 'new'; fromRunId?: string }
  | { view: 'runs' }
  | { view: 'run'; runId: string }
  | { view: 'compare'; runIds: string[] }
  | { view: 'sweeps' }
  | { view: 'sweep'; sweepId: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'run' && parts[1]) return { view: 'run', runId: parts[1] };
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
      return `#/run/${encodeURIComponent(route.runId)}`;
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
