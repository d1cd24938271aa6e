/** Short status messages in a polite live region, so screen readers hear them too. */
import { h, type Child } from './dom';

let region: HTMLElement | null = null;

export function mountToasts(parent: HTMLElement): void {
  region = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite', 'data-testid': 'toasts' });
  parent.appendChild(region);
}

function show(content: Child, kind: 'info' | 'error', ms: number): void {
  if (!region) return;
  const close = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Dismiss' }, '×');
  const item = h(
    'div',
    { class: `toast toast-${kind}`, 'data-testid': `toast-${kind}` },
    h('div', { class: 'toast-body' }, content),
    close,
  );
  const remove = (): void => item.remove();
  close.addEventListener('click', remove);
  region.appendChild(item);
  setTimeout(remove, ms);
}

export function toast(message: string, kind: 'info' | 'error' = 'info', ms = 5000): void {
  show(message, kind, ms);
}

/**
 * A message ending in a path (shown whole, on one line, with a copy button) and a list of items
 * folded away (an export's file names): short on screen, everything one click away.
 */
export function toastWithDetails(message: string, path: string, items: string[], ms = 5000): void {
  const copy = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'toast-copy-path' }, 'Copy path');
  copy.addEventListener('click', () => void navigator.clipboard?.writeText(path).then(() => (copy.textContent = 'Copied')));
  show(
    [
      h('span', null, message, ' '),
      h('code', { class: 'toast-path', title: path, 'data-testid': 'toast-path' }, path),
      ' ',
      copy,
      h(
        'details',
        { class: 'toast-details' },
        h('summary', null, `${items.length} files`),
        h(
          'ul',
          null,
          items.map((i) => h('li', null, i)),
        ),
      ),
    ],
    'info',
    ms,
  );
}
