/** The problems box at the top of the form: each issue links to its field (opening a folded section). */
import type { ConfigIssue } from '../../../../shared/api';
import { h, replaceChildren } from '../../dom';
import type { FieldRegistry } from './fields';

export interface IssueSummary {
  element: HTMLElement;
  /** Shows issues at their fields, and in the box when `withSummary`. */
  show(issues: ConfigIssue[], withSummary: boolean): void;
  readonly open: boolean;
}

export function createIssueSummary(fields: FieldRegistry): IssueSummary {
  const element = h('div', {
    class: 'error-summary',
    role: 'alert',
    tabindex: '-1',
    'data-testid': 'issue-summary',
    hidden: true,
  });
  const item = (issue: ConfigIssue, placed: boolean): HTMLElement => {
    const label = h('span', { class: 'issue-path' }, issue.path || 'config');
    const control = placed ? fields.controlFor(issue.path) : null;
    if (!control) return h('li', null, label, ' ', issue.message);
    const link = h('a', { href: `#${control.id}` }, label);
    link.addEventListener('click', (e) => {
      e.preventDefault();
      control.closest('details')?.setAttribute('open', '');
      control.focus();
    });
    return h('li', null, link, ' ', issue.message);
  };
  return {
    element,
    get open() {
      return !element.hidden;
    },
    show(issues, withSummary) {
      const { unplaced, first } = fields.show(issues);
      element.hidden = !withSummary || issues.length === 0;
      if (element.hidden) return;
      replaceChildren(
        element,
        h('h2', null, issues.length === 1 ? 'Fix 1 problem' : `Fix ${issues.length} problems`),
        h(
          'ul',
          null,
          issues.map((i) => item(i, !unplaced.includes(i))),
        ),
      );
      if (first && unplaced.length === 0 && element.isConnected && !first.closest('[hidden]')) first.focus();
      else element.focus();
    },
  };
}
