/**
 * Form or JSON: two tabs over one config. Leaving the form writes its config into the JSON; leaving
 * the JSON fills the form from it (refused, with the reason, while the text is not a JSON object).
 */
import type { ConfigIssue, RunConfig } from '../../../../shared/api';
import { h } from '../../dom';
import type { JsonTab } from './json-tab';
import type { NewRunForm } from './new-run-form';

export interface ModeSwitch {
  element: HTMLElement;
  /** The config the visible tab describes. */
  current(): { config: RunConfig | null; issues: ConfigIssue[] };
}

export function createModeSwitch(form: NewRunForm, json: JsonTab, onProblem: (issues: ConfigIssue[]) => void): ModeSwitch {
  let mode: 'form' | 'json' = 'form';
  const tab = (id: 'form' | 'json', label: string) =>
    h(
      'button',
      { type: 'button', role: 'tab', 'aria-selected': String(id === 'form'), 'data-testid': `new-run-mode-${id}` },
      label,
    );
  const tabs = { form: tab('form', 'Form'), json: tab('json', 'JSON') };
  const jsonPanel = h('div', { role: 'tabpanel', hidden: true }, json.element);
  const formPanel = h('div', { role: 'tabpanel' }, form.element);
  const show = (next: 'form' | 'json'): void => {
    mode = next;
    formPanel.hidden = next !== 'form';
    jsonPanel.hidden = next !== 'json';
    tabs.form.setAttribute('aria-selected', String(next === 'form'));
    tabs.json.setAttribute('aria-selected', String(next === 'json'));
  };
  tabs.json.addEventListener('click', () => {
    if (mode === 'json') return;
    json.show(form.config().draft);
    show('json');
  });
  tabs.form.addEventListener('click', () => {
    if (mode === 'form') return;
    const parsed = json.parse();
    if ('error' in parsed) return onProblem([{ path: '', message: parsed.error }]);
    form.fill(parsed.config);
    show('form');
  });
  return {
    element: h(
      'div',
      null,
      h('div', { role: 'tablist', class: 'tablist', 'aria-label': 'Edit the config as' }, tabs.form, tabs.json),
      formPanel,
      jsonPanel,
    ),
    current() {
      if (mode === 'form') return form.config();
      const parsed = json.parse();
      return 'error' in parsed
        ? { config: null, issues: [{ path: '', message: parsed.error }] }
        : { config: parsed.config, issues: [] };
    },
  };
}
