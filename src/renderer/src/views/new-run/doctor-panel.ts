/**
 * The device panel's machine check: the `dtrain doctor` report (GPUs, tfjs-node-gpu, CUDA/cuDNN, the
 * backend each worker would get) with every problem's fix, so a user sees why the GPUs are idle.
 */
import type { DoctorReport } from '../../../../shared/doctor';
import { h, replaceChildren } from '../../dom';

export interface DoctorView {
  headline: string;
  tone: 'ok' | 'warning' | 'error';
  gpus: string[];
  workers: string[];
  problems: { tone: 'warning' | 'error'; what: string; fix: string }[];
}

/** The report as lines for the panel: one per GPU, one per distinct worker plan, one per problem. */
export function doctorView(r: DoctorReport): DoctorView {
  const tone = r.problems.some((p) => p.severity === 'error') ? 'error' : r.problems.length ? 'warning' : 'ok';
  const gpus =
    r.gpus.status === 'found'
      ? r.gpus.gpus.map(
          (g) =>
            `GPU ${g.index}: ${g.name} · driver ${g.driver} · ${g.memoryTotalMiB === null ? '?' : (g.memoryTotalMiB / 1024).toFixed(1)} GiB`,
        )
      : [
          r.gpus.status === 'failed'
            ? `No GPU: nvidia-smi failed (${r.gpus.error})`
            : r.gpus.status === 'none'
              ? 'No GPU: nvidia-smi lists none'
              : 'No GPU: nvidia-smi is not installed',
        ];
  const seen = new Map<string, number>();
  for (const w of r.workers) {
    const kernels = w.backend === 'wasm' ? (w.nativeBlas ? ', native BLAS' : ', wasm kernels') : '';
    const line = `${w.backend}${w.backend === 'tensorflow' ? ` on the ${w.computesOn}` : ''}${kernels}, ${w.storage} storage, communication thread ${w.commThread.on ? 'on' : 'off'}: ${w.why}`;
    const key = w.device.startsWith('CPU') ? `CPU workers → ${line}` : `${w.device} → ${line}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const workers = [...seen].map(([line, n]) => (line.startsWith('CPU workers') ? `${n} ${line}` : line));
  return {
    headline: r.summary,
    tone,
    gpus,
    workers,
    problems: r.problems.map((p) => ({ tone: p.severity, what: p.what, fix: p.fix })),
  };
}

export interface DoctorPanel {
  element: HTMLElement;
  show(report: DoctorReport): void;
  fail(message: string): void;
}

export function createDoctorPanel(): DoctorPanel {
  const headline = h(
    'p',
    { class: 'doctor-headline', 'data-testid': 'doctor-summary', 'aria-live': 'polite' },
    'Checking this machine…',
  );
  const body = h('div', { class: 'doctor-body' });
  const element = h(
    'details',
    { class: 'advanced doctor', 'data-testid': 'doctor-panel' },
    h('summary', null, 'Machine check (dtrain doctor)'),
    headline,
    body,
  );
  return {
    element,
    show(report) {
      const v = doctorView(report);
      headline.textContent = v.headline;
      headline.dataset.tone = v.tone;
      if (v.tone !== 'ok') element.open = true;
      replaceChildren(
        body,
        h(
          'ul',
          { class: 'doctor-list' },
          v.gpus.map((g) => h('li', null, g)),
        ),
        h('h3', null, 'Workers'),
        h(
          'ul',
          { class: 'doctor-list', 'data-testid': 'doctor-workers' },
          v.workers.map((w) => h('li', null, w)),
        ),
        v.problems.length ? h('h3', null, 'Problems and fixes') : null,
        v.problems.length
          ? h(
              'ul',
              { class: 'doctor-list', 'data-testid': 'doctor-problems' },
              v.problems.map((p) => h('li', { 'data-tone': p.tone }, p.what, h('br'), 'Fix: ', h('code', null, p.fix))),
            )
          : null,
      );
    },
    fail(message) {
      headline.textContent = `The machine check failed: ${message}`;
      headline.dataset.tone = 'error';
    },
  };
}
