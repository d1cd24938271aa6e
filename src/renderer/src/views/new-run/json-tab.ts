/**
 * The whole run config as JSON, editable: checked as you type (parsed at once, then by the engine's
 * validateRunConfig, the CLI's own messages, each with its field's path). The form and this text are
 * two views of one config: switching fills one from the other.
 */
import type { ConfigIssue, RendererApi, RunConfig } from '../../../../shared/api';
import { debounce, h, replaceChildren } from '../../dom';
import { formatJson } from './json-format';

export interface JsonTab {
  element: HTMLElement;
  show(config: RunConfig): void;
  /** The config in the text, or the reason it is not one. */
  parse(): { config: RunConfig } | { error: string };
  dispose(): void;
}

export function createJsonTab(api: RendererApi, onIssues: (issues: ConfigIssue[]) => void): JsonTab {
  const text = h('textarea', {
    rows: 30,
    class: 'code config-json-editor',
    spellcheck: 'false',
    'data-testid': 'config-json-text',
    'aria-describedby': 'config-json-issues',
  });
  const verdict = h('div', {
    id: 'config-json-issues',
    class: 'json-issues',
    'data-testid': 'config-json-issues',
    'aria-live': 'polite',
  });
  let asked = 0;
  const parse = (): { config: RunConfig } | { error: string } => {
    try {
      const v: unknown = JSON.parse(text.value);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'The config must be a JSON object ({ … }).' };
      return { config: v as RunConfig };
    } catch (err) {
      return { error: `Invalid JSON: ${(err as Error).message}` };
    }
  };
  const showIssues = (issues: ConfigIssue[]): void => {
    verdict.dataset.state = issues.length ? 'issues' : 'valid';
    replaceChildren(
      verdict,
      issues.length
        ? h(
            'ul',
            null,
            issues.map((i) =>
              h('li', { 'data-path': i.path }, h('code', { class: 'issue-path' }, i.path || 'config'), ' ', i.message),
            ),
          )
        : h('p', { class: 'json-valid' }, 'The config is valid.'),
    );
    onIssues(issues);
  };
  const check = debounce(async () => {
    const id = ++asked;
    const parsed = parse();
    if ('error' in parsed) {
      verdict.dataset.state = 'invalid-json';
      return replaceChildren(verdict, h('p', { class: 'field-error' }, parsed.error));
    }
    verdict.dataset.state = 'checking';
    try {
      const issues = await api.validateRunConfig(parsed.config);
      if (id === asked) showIssues(issues);
    } catch (err) {
      if (id === asked) showIssues([{ path: '', message: (err as Error).message }]);
    }
  }, 400);
  text.addEventListener('input', () => void check());
  return {
    element: h(
      'div',
      { class: 'json-tab', 'data-testid': 'config-json' },
      h('label', { for: text.id || 'config-json-text' }, 'The whole run config'),
      text,
      verdict,
    ),
    show(config) {
      text.value = formatJson(config);
      void check();
    },
    parse,
    dispose: () => check.cancel(),
  };
}
