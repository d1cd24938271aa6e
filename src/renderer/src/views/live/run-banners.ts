/**
 * Notices above a run's charts: why it ended early (early stopping, a sweep's pruning), that another
 * process trains it, why it failed, and worker crashes as they happen.
 */
import type { RunDetail } from '../../../../shared/api';
import { h } from '../../dom';

export interface RunBanners {
  element: HTMLElement;
  show(detail: RunDetail): void;
  crash(deviceId: number, reason: string): void;
  /** Any other failure the page hit, e.g. loading the run. */
  alert(text: string, testid: string): void;
}

function dismissible(text: string, testid: string, kind: 'error' | 'info'): HTMLElement {
  const dismiss = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Dismiss' }, '×');
  const banner = h(
    'div',
    { class: `banner banner-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-testid': testid },
    h('span', null, text),
    dismiss,
  );
  dismiss.addEventListener('click', () => banner.remove());
  return banner;
}

export function createRunBanners(): RunBanners {
  const element = h('div', { class: 'banners' });
  const replace = (testid: string, banner: HTMLElement | null): void => {
    element.querySelector(`[data-testid="${testid}"]`)?.remove();
    if (banner) element.prepend(banner);
  };
  return {
    element,
    show(d) {
      replace('run-error', d.status === 'failed' && d.error ? dismissible(`Run failed: ${d.error}`, 'run-error', 'error') : null);
      const ended = d.stopReason && ['completed', 'stopped'].includes(d.status);
      replace(
        'stop-reason',
        ended
          ? h('p', { class: 'banner banner-info', role: 'status', 'data-testid': 'stop-reason' }, `Ended early: ${d.stopReason}`)
          : null,
      );
      const elsewhere = d.elsewhere
        ? `Trained by another dtrain process (pid ${d.elsewhere.pid} on ${d.elsewhere.host}). This view follows its progress from the database; pause or stop it where it runs.`
        : null;
      replace(
        'elsewhere-banner',
        elsewhere ? h('p', { class: 'banner banner-info', role: 'status', 'data-testid': 'elsewhere-banner' }, elsewhere) : null,
      );
    },
    crash(deviceId, reason) {
      element.append(dismissible(`Worker for device ${deviceId} crashed: ${reason}`, 'crash-banner', 'error'));
    },
    alert: (text, testid) => element.append(dismissible(text, testid, 'error')),
  };
}
