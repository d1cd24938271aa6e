/** What a run page shows for a run id the database does not have: no controls, a way back. */
import { h } from '../../dom';

export function runNotFound(runId: string, message: string): HTMLElement {
  return h(
    'div',
    { class: 'empty-state not-found', 'data-testid': 'run-not-found', role: 'alert' },
    h('h1', null, 'No such run'),
    h('p', null, `There is no run `, h('code', null, runId), ' in this database.'),
    h('p', { class: 'muted' }, message),
    h('a', { class: 'button button-primary', href: '#/runs' }, 'All runs'),
  );
}
