/**
 * Form fields with inline error slots. Each field is registered under the config path it edits
 * (e.g. `optimizer.rho`), so an issue from `validateRunConfig` lands next to the field it concerns.
 */
import type { ConfigIssue } from '../../../../shared/api';
import { h, nextId, type Child } from '../../dom';

export type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

interface Field {
  control: Control;
  error: HTMLElement;
}

/** `optimizer.learning_rate` → `optimizer-learning_rate`, for test ids. */
export const testIdOf = (path: string): string => path.replace(/[.[\]]+/g, '-').replace(/-$/, '');

export class FieldRegistry {
  /** Several controls may edit one path (an .npz's `x` key, a pair of .npy files' `x` path): the enabled one owns it. */
  private readonly fields: { path: string; field: Field }[] = [];

  /** Wraps a control with its label, hint and error slot; registers it under `path`. */
  row(path: string, label: string, control: Control, hint?: Child): HTMLElement {
    const id = control.id || nextId('f');
    control.id = id;
    control.dataset.testid ??= `field-${testIdOf(path)}`;
    const error = h('p', { class: 'field-error', id: `${id}-error`, 'data-testid': `error-${testIdOf(path)}`, hidden: true });
    const hintEl = hint ? h('p', { class: 'field-hint', id: `${id}-hint` }, hint) : null;
    control.setAttribute('aria-describedby', [hintEl?.id, error.id].filter(Boolean).join(' '));
    this.fields.push({ path, field: { control, error } });
    const isCheck = control instanceof HTMLInputElement && control.type === 'checkbox';
    return isCheck
      ? h('div', { class: 'field field-check' }, h('label', { for: id }, control, ' ', label), hintEl, error)
      : h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl, error);
  }

  /** The registered path that is the longest prefix of `path` (field-level issues land on their field). */
  private owner(path: string): Field | null {
    let best: { len: number; field: Field } | null = null;
    for (const { path: key, field } of this.fields) {
      const match = path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`);
      if (match && (!best || key.length > best.len) && !field.control.disabled) best = { len: key.length, field };
    }
    return best?.field ?? null;
  }

  /** The control an issue at `path` belongs to, if any. */
  controlFor(path: string): Control | null {
    return this.owner(path)?.control ?? null;
  }

  clear(): void {
    for (const { field } of this.fields) {
      const { control, error } = field;
      control.removeAttribute('aria-invalid');
      error.hidden = true;
      error.textContent = '';
    }
  }

  /** Shows issues inline; returns those no field owns (shown only in the summary). */
  show(issues: ConfigIssue[]): { unplaced: ConfigIssue[]; first: Control | null } {
    this.clear();
    const unplaced: ConfigIssue[] = [];
    let first: Control | null = null;
    for (const issue of issues) {
      const field = this.owner(issue.path);
      if (!field) {
        unplaced.push(issue);
        continue;
      }
      field.control.setAttribute('aria-invalid', 'true');
      field.control.closest('details')?.setAttribute('open', '');
      field.error.hidden = false;
      field.error.textContent = field.error.textContent ? `${field.error.textContent} ${issue.message}` : issue.message;
      first ??= field.control;
    }
    return { unplaced, first };
  }
}

export interface InputOptions {
  value?: string | number;
  type?: 'text' | 'number';
  step?: string;
  min?: number;
  placeholder?: string;
  inputmode?: 'decimal' | 'numeric';
  testid?: string;
}

export function input(opts: InputOptions = {}): HTMLInputElement {
  return h('input', {
    type: opts.type ?? 'text',
    value: opts.value === undefined ? '' : String(opts.value),
    step: opts.step,
    min: opts.min,
    placeholder: opts.placeholder,
    inputmode: opts.inputmode,
    spellcheck: 'false',
    autocomplete: 'off',
    'data-testid': opts.testid,
  });
}

export function checkbox(checked: boolean, testid?: string): HTMLInputElement {
  return h('input', { type: 'checkbox', checked, 'data-testid': testid });
}

export function select(options: { value: string; label: string }[], value?: string, testid?: string): HTMLSelectElement {
  const el = h(
    'select',
    { 'data-testid': testid },
    options.map((o) => h('option', { value: o.value }, o.label)),
  );
  if (value !== undefined) el.value = value;
  return el;
}

export function section(title: string, description: Child, ...children: Child[]): HTMLElement {
  const id = nextId('sec');
  return h(
    'section',
    { class: 'form-section', 'aria-labelledby': id },
    h('h2', { id }, title),
    description ? h('p', { class: 'section-lead' }, description) : null,
    children,
  );
}
