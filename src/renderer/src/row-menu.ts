/**
 * A row's actions behind one "⋯" button: a popover in the top layer (never clipped by a scrolling
 * table), placed under its button, closed by Esc, a click outside or choosing an item.
 */
import { h } from './dom';

export interface MenuItem {
  label: string;
  testid: string;
  run: () => void;
  danger?: boolean;
  /** A link instead of an action (e.g. Duplicate opens the form). */
  href?: string;
}

let uid = 0;

export function rowMenu(label: string, testid: string, items: MenuItem[]): HTMLElement {
  const id = `row-menu-${++uid}`;
  const menu = h('div', { id, popover: 'auto', role: 'menu', class: 'row-menu', 'data-testid': `${testid}-items` });
  const button = h(
    'button',
    {
      type: 'button',
      class: 'button button-small menu-button',
      popovertarget: id,
      'aria-haspopup': 'menu',
      'aria-label': label,
      'data-testid': testid,
    },
    '⋯',
  );
  for (const item of items) {
    const cls = `menu-item${item.danger ? ' menu-item-danger' : ''}`;
    const el = item.href
      ? h('a', { role: 'menuitem', class: cls, href: item.href, 'data-testid': item.testid }, item.label)
      : h('button', { type: 'button', role: 'menuitem', class: cls, 'data-testid': item.testid }, item.label);
    el.addEventListener('click', () => {
      menu.hidePopover();
      item.run();
    });
    menu.append(el);
  }
  menu.addEventListener('beforetoggle', (e) => {
    if ((e as ToggleEvent).newState !== 'open') return;
    const r = button.getBoundingClientRect();
    menu.style.top = `${Math.min(r.bottom + 4, innerHeight - 8 - items.length * 34)}px`;
    menu.style.right = `${Math.max(8, innerWidth - r.right)}px`;
  });
  return h('span', { class: 'row-menu-wrap' }, button, menu);
}

/** The row menu open inside `root`, if any. */
export function openRowMenu(root: HTMLElement): HTMLElement | null {
  return root.querySelector<HTMLElement>('.row-menu:popover-open');
}
