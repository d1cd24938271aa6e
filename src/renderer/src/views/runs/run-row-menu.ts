/** A runs-list row's menu: edit, duplicate, the exports, delete. */
import type { RendererApi, RunSummary } from '../../../../shared/api';
import { rowMenu } from '../../row-menu';
import { downloadKerasArchive, exportCsv, exportRunFolder } from '../../run-actions';
import { toast } from '../../toast';
import { openDeleteDialog, openEditDialog } from './run-dialogs';

export function runRowMenu(api: RendererApi, r: RunSummary, reload: () => void): HTMLElement {
  return rowMenu(`Actions for ${r.name}`, `run-menu-${r.id}`, [
    {
      label: 'Edit name, tags, notes…',
      testid: `run-edit-${r.id}`,
      run: () => void openEditDialog(api, r, reload).catch((err: Error) => toast(err.message, 'error')),
    },
    {
      label: 'Duplicate as a new run',
      testid: `run-duplicate-${r.id}`,
      href: `#/new/${encodeURIComponent(r.id)}`,
      run: () => undefined,
    },
    { label: 'Download metrics CSV', testid: `run-csv-${r.id}`, run: () => void exportCsv(api, r.id, r.name) },
    { label: 'Export folder', testid: `run-export-${r.id}`, run: () => void exportRunFolder(api, r.id, r.name) },
    { label: 'Download .keras', testid: `run-keras-${r.id}`, run: () => void downloadKerasArchive(api, r.id, r.name) },
    {
      label: 'Delete…',
      testid: `run-delete-${r.id}`,
      danger: true,
      run: () =>
        openDeleteDialog(api, r, () => {
          toast(`Deleted ${r.name}.`);
          reload();
        }),
    },
  ]);
}
