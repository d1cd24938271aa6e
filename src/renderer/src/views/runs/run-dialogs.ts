/**
 * Modal dialogs of the runs list: edit a run's name, tags and notes; confirm a delete. Each resolves
 * after the engine has answered, and shows the engine's message inline when it refuses.
 */
import type { RendererApi, RunSummary } from '../../../../shared/api';
import { h } from '../../dom';
import { parseTagText } from './run-list';

function dialogShell(title: string, testid: string, body: HTMLElement[], confirmLabel: string, danger = false) {
  const error = h('p', { class: 'field-error', role: 'alert', 'data-testid': `${testid}-error`, hidden: true });
  const ok = h(
    'button',
    { type: 'submit', class: `button ${danger ? 'button-danger' : 'button-primary'}`, 'data-testid': `${testid}-confirm` },
    confirmLabel,
  );
  const cancel = h('button', { type: 'button', class: 'button', 'data-testid': `${testid}-cancel` }, 'Cancel');
  const form = h(
    'form',
    { method: 'dialog', class: 'dialog-form' },
    h('h2', null, title),
    body,
    error,
    h('div', { class: 'dialog-actions' }, cancel, ok),
  );
  const dialog = h('dialog', { class: 'help-dialog run-dialog', 'data-testid': testid }, form);
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  /** Runs `action` on submit; closes on success, else shows its error and stays open. */
  const onSubmit = (action: () => Promise<void>): void => {
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      ok.disabled = true;
      error.hidden = true;
      action()
        .then(() => dialog.close())
        .catch((err: Error) => {
          error.textContent = err.message;
          error.hidden = false;
        })
        .finally(() => (ok.disabled = false));
    });
  };
  document.body.append(dialog);
  return { dialog, onSubmit };
}

export async function openEditDialog(api: RendererApi, run: RunSummary, onSaved: () => void): Promise<void> {
  const detail = await api.getRun(run.id);
  const name = h('input', {
    type: 'text',
    id: 'edit-name',
    value: detail.name,
    required: true,
    maxlength: 200,
    'data-testid': 'edit-name',
  });
  const tags = h('input', {
    type: 'text',
    id: 'edit-tags',
    value: detail.tags.join(', '),
    placeholder: 'baseline, lr sweep',
    'data-testid': 'edit-tags',
  });
  const notes = h('textarea', { id: 'edit-notes', rows: 5, 'data-testid': 'edit-notes' });
  notes.value = detail.notes;
  const field = (label: string, id: string, input: HTMLElement, hint?: string) =>
    h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'field-hint' }, hint) : null);
  const { dialog, onSubmit } = dialogShell(
    'Edit run',
    'edit-dialog',
    [
      field('Name', 'edit-name', name),
      field('Tags', 'edit-tags', tags, 'Separated by commas.'),
      field('Notes', 'edit-notes', notes),
    ],
    'Save',
  );
  onSubmit(async () => {
    if (name.value.trim() !== detail.name) await api.renameRun(run.id, name.value);
    const nextTags = parseTagText(tags.value);
    if (nextTags.join('\u0000') !== detail.tags.join('\u0000')) await api.setRunTags(run.id, nextTags);
    if (notes.value !== detail.notes) await api.setRunNotes(run.id, notes.value);
    onSaved();
  });
  dialog.showModal();
  name.select();
}

export function openDeleteDialog(api: RendererApi, run: RunSummary, onDeleted: () => void): void {
  const { dialog, onSubmit } = dialogShell(
    'Delete run?',
    'delete-dialog',
    [
      h(
        'p',
        { class: 'dialog-text' },
        'This deletes ',
        h('strong', { class: 'break-anywhere' }, run.name),
        ' with its checkpoints and metric history. It cannot be undone.',
      ),
    ],
    'Delete run',
    true,
  );
  onSubmit(async () => {
    await api.deleteRun(run.id);
    onDeleted();
  });
  dialog.showModal();
  dialog.querySelector<HTMLButtonElement>('[data-testid="delete-dialog-cancel"]')?.focus();
}
