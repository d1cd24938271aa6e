/**
 * A run's config as stored (copy it, or open it as a new run's form), with its tags and notes, which
 * the Edit dialog changes.
 */
import type { RendererApi, RunDetail } from '../../../../shared/api';
import { h, replaceChildren } from '../../dom';
import { toast } from '../../toast';
import { openEditDialog } from '../runs/run-dialogs';

export interface ConfigPanel {
  element: HTMLElement;
  show(detail: RunDetail): void;
}

/** The clipboard API where the page may use it; else the old select-and-copy. */
async function copyText(text: string, from: HTMLElement): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const range = document.createRange();
  range.selectNodeContents(from);
  getSelection()?.removeAllRanges();
  getSelection()?.addRange(range);
  document.execCommand('copy');
}

export function createConfigPanel(api: RendererApi, runId: string, onEdited: () => void): ConfigPanel {
  let detail: RunDetail | null = null;
  const json = h('pre', { class: 'config-json', 'data-testid': 'run-config', tabindex: 0 });
  const tags = h('div', { class: 'tag-list', 'data-testid': 'run-page-tags' });
  const notes = h('p', { class: 'run-notes', 'data-testid': 'run-page-notes' });
  const copy = h('button', { type: 'button', class: 'button', 'data-testid': 'copy-config' }, 'Copy JSON');
  copy.addEventListener('click', () =>
    copyText(json.textContent ?? '', json).then(
      () => toast('Config copied.'),
      (err: Error) => toast(`Could not copy: ${err.message}`, 'error'),
    ),
  );
  const edit = h('button', { type: 'button', class: 'button', 'data-testid': 'edit-run' }, 'Edit name, tags, notes');
  edit.addEventListener('click', () => {
    if (detail) openEditDialog(api, detail, onEdited).catch((err: Error) => toast(err.message, 'error'));
  });
  const openNew = h(
    'a',
    { class: 'button button-primary', href: `#/new/${encodeURIComponent(runId)}`, 'data-testid': 'open-as-new-run' },
    'Open as new run',
  );
  const element = h(
    'div',
    { class: 'config-panel' },
    h(
      'section',
      { class: 'panel', 'aria-label': 'Tags and notes' },
      h('div', { class: 'panel-title-row' }, h('h2', null, 'Tags and notes'), edit),
      tags,
      notes,
    ),
    h(
      'section',
      { class: 'panel', 'aria-label': 'Config' },
      h('div', { class: 'panel-title-row' }, h('h2', null, 'Config'), h('div', { class: 'button-row' }, copy, openNew)),
      json,
    ),
  );
  return {
    element,
    show(d) {
      detail = d;
      json.textContent = JSON.stringify(d.config, null, 2);
      replaceChildren(
        tags,
        d.tags.length ? d.tags.map((t) => h('span', { class: 'tag', title: t }, t)) : h('span', { class: 'muted' }, 'No tags.'),
      );
      notes.textContent = d.notes || 'No notes.';
      notes.classList.toggle('muted', !d.notes);
    },
  };
}
