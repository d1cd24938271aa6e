/**
 * Devices and mesh. Ticking devices builds the data-parallel mesh `batch=N`; the mesh text allows any
 * mesh (e.g. `batch=2,model=2`) together with per-variable layouts.
 */
import type { DeviceInfo } from '../../../../shared/api';
import type { DoctorReport } from '../../../../shared/doctor';
import { createDoctorPanel } from './doctor-panel';
import { h, nextId } from '../../dom';
import { formatBytes } from '../../format';
import { type FieldRegistry, input, section } from './fields';
import type { IssueCollector } from './read';
import { DEFAULT_MESH } from '../../../../shared/defaults';

export interface DevicesSection {
  element: HTMLElement;
  read(c: IssueCollector): { mesh: string; layouts?: Record<string, string[]> } | null;
  setDevices(list: DeviceInfo[]): void;
  /** The machine check (`dtrain doctor`), or why it could not run. */
  setDoctor(report: DoctorReport | { error: string }): void;
  fill(mesh: string, layouts?: Record<string, string[]>): void;
}

const MESH_RE = /^\s*[A-Za-z_]\w*\s*=\s*\d+\s*(,\s*[A-Za-z_]\w*\s*=\s*\d+\s*)*$/;

function deviceLabel(d: DeviceInfo): string {
  return d.memoryBytes ? `${d.label} · ${formatBytes(d.memoryBytes)}` : d.label;
}

/** One checkbox per device (the first ticked), listed with its kind and memory. */
function deviceBoxes(list: HTMLElement, devices: DeviceInfo[], onChange: () => void): HTMLInputElement[] {
  const boxes = devices.map((d, i) =>
    h('input', { type: 'checkbox', checked: i === 0, value: String(d.deviceId), 'data-testid': `device-${d.deviceId}` }),
  );
  list.replaceChildren(
    ...devices.map((d, i) => {
      const id = nextId('dev');
      boxes[i]!.id = id;
      boxes[i]!.addEventListener('change', onChange);
      return h(
        'label',
        { for: id, class: 'device-option' },
        boxes[i]!,
        h('span', { class: 'device-kind' }, d.kind),
        h('span', null, deviceLabel(d)),
      );
    }),
  );
  if (devices.length === 0) list.replaceChildren(h('p', { class: 'muted' }, 'No devices reported by the trainer.'));
  return boxes;
}

function readMesh(
  c: IssueCollector,
  custom: boolean,
  selected: number,
  meshText: string,
  layoutsText: string,
): { mesh: string; layouts?: Record<string, string[]> } | null {
  if (!custom && selected === 0) return (c.add('mesh', 'Select at least one device.'), null);
  if (!MESH_RE.test(meshText))
    return (c.add('mesh', 'Write the mesh as name=size pairs, e.g. batch=2 or batch=2,model=2.'), null);
  const map = c.jsonObject('layouts', layoutsText, true);
  if (map && Object.values(map).some((v) => !Array.isArray(v) || v.some((a) => typeof a !== 'string'))) {
    c.add('layouts', 'Each layout must be a list of axis names, e.g. ["unsharded", "model"].');
    return null;
  }
  const text = meshText.replace(/\s+/g, '');
  return map ? { mesh: text, layouts: map as Record<string, string[]> } : { mesh: text };
}

export function createDevicesSection(fields: FieldRegistry): DevicesSection {
  const list = h(
    'div',
    { class: 'device-list', role: 'group', 'aria-label': 'Devices', 'data-testid': 'device-list' },
    h('p', { class: 'muted' }, 'Loading devices…'),
  );
  const custom = h('input', { type: 'checkbox', 'data-testid': 'mesh-custom' });
  const mesh = input({ value: DEFAULT_MESH, placeholder: 'batch=2,model=2' });
  const summary = h('p', { class: 'field-hint', 'data-testid': 'mesh-summary', 'aria-live': 'polite' });
  const layouts = h('textarea', {
    rows: 4,
    class: 'code',
    spellcheck: 'false',
    placeholder: '{ "dense.*kernel": ["unsharded", "model"] }',
  });
  const doctor = createDoctorPanel();
  let boxes: HTMLInputElement[] = [];

  const selectedCount = (): number => boxes.filter((b) => b.checked).length;
  const sync = (): void => {
    mesh.disabled = !custom.checked;
    for (const b of boxes) b.disabled = custom.checked;
    if (!custom.checked) mesh.value = `batch=${Math.max(1, selectedCount())}`;
    const prefix = boxes.every((b, i) => b.checked === i < selectedCount());
    summary.textContent = custom.checked
      ? 'Custom mesh: its size must not exceed the device count.'
      : `Mesh ${mesh.value}: data parallel over ${selectedCount()} device(s).` +
        (prefix ? '' : ' Workers are placed on the first devices in this list.');
  };
  custom.addEventListener('change', sync);
  const customId = nextId('c');
  custom.id = customId;

  const element = section(
    'Devices',
    'One worker process per device holds that device’s shards of the parameters and optimizer state.',
    list,
    doctor.element,
    h('div', { class: 'field field-check' }, h('label', { for: customId }, custom, ' Enter a mesh instead')),
    fields.row('mesh', 'Mesh', mesh),
    summary,
    h(
      'details',
      { class: 'advanced' },
      h('summary', null, 'Variable layouts (advanced)'),
      fields.row(
        'layouts',
        'Layouts JSON',
        layouts,
        'Regex on variable names → sharding per axis (a mesh dim or "unsharded"). Unmatched variables are replicated.',
      ),
    ),
  );

  return {
    element,
    setDevices(devices) {
      boxes = deviceBoxes(list, devices, sync);
      sync();
    },
    setDoctor(report) {
      if ('error' in report) doctor.fail(report.error);
      else doctor.show(report);
    },
    fill(meshText, layoutMap) {
      custom.checked = true;
      mesh.value = meshText;
      layouts.value = layoutMap ? JSON.stringify(layoutMap, null, 2) : '';
      sync();
    },
    read: (c) => readMesh(c, custom.checked, selectedCount(), mesh.value, layouts.value),
  };
}
