/** Keyboard shortcuts: one table drives both the handler and the help panel. */
import { h } from './dom';

export interface Shortcut {
  keys: string[];
  description: string;
  /** Where it applies. */
  scope: 'Everywhere' | 'Live run' | 'New run' | 'Charts';
}

export const SHORTCUTS: Shortcut[] = [
  { keys: ['N'], description: 'New run', scope: 'Everywhere' },
  { keys: ['R'], description: 'Runs (history)', scope: 'Everywhere' },
  { keys: ['S'], description: 'Sweeps', scope: 'Everywhere' },
  { keys: ['L'], description: 'Live view of the last opened run', scope: 'Everywhere' },
  { keys: ['T'], description: 'Toggle light / dark theme', scope: 'Everywhere' },
  { keys: ['?'], description: 'Show this help', scope: 'Everywhere' },
  { keys: ['Esc'], description: 'Close this help', scope: 'Everywhere' },
  { keys: ['Tab'], description: 'Move between controls (focus is always outlined)', scope: 'Everywhere' },
  { keys: ['Ctrl', 'Enter'], description: 'Validate and start the run', scope: 'New run' },
  { keys: ['P'], description: 'Pause or resume', scope: 'Live run' },
  { keys: ['X'], description: 'Stop (asks to confirm)', scope: 'Live run' },
  { keys: ['Drag'], description: 'Zoom into a step range', scope: 'Charts' },
  { keys: ['Double-click'], description: 'Back to the live, auto-scaled view', scope: 'Charts' },
];

/** The help panel: a modal dialog (focus stays inside; Esc closes it). */
export function createHelpDialog(mode: 'desktop' | 'web'): HTMLDialogElement {
  const rows = SHORTCUTS.map((s) =>
    h(
      'tr',
      null,
      h(
        'td',
        null,
        s.keys.map((k, i) => [i > 0 ? ' + ' : null, h('kbd', null, k)]),
      ),
      h('td', null, s.description),
      h('td', { class: 'muted' }, s.scope),
    ),
  );
  const close = h('button', { type: 'button', class: 'button', 'data-testid': 'help-close' }, 'Close');
  const dialog = h(
    'dialog',
    { class: 'help-dialog', 'aria-labelledby': 'help-title', 'data-testid': 'help-dialog' },
    h('h2', { id: 'help-title' }, 'Keyboard shortcuts'),
    h(
      'table',
      { class: 'table' },
      h('thead', null, h('tr', null, h('th', null, 'Keys'), h('th', null, 'Action'), h('th', null, 'Where'))),
      h('tbody', null, rows),
    ),
    h(
      'p',
      { class: 'muted' },
      mode === 'web'
        ? [
            'Web mode: this page talks to ',
            h('code', null, 'dtrain serve'),
            ' over a WebSocket, authorised by the token in the URL it printed. Anyone with that URL can control training: do not share it.',
          ]
        : 'Desktop mode: the File, View and Help menus offer the same actions.',
    ),
    h('div', { class: 'dialog-actions' }, close),
  );
  close.addEventListener('click', () => dialog.close());
  return dialog;
}
