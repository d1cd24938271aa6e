/** Pause / resume / stop, enabled by run status; stop asks for confirmation inline (no modal). */
import type { RendererApi, RunStatus } from '../../../../shared/api';
import { h } from '../../dom';

export interface RunControls {
  element: HTMLElement;
  /** `elsewhere`: another process trains the run, so nothing here can pause or stop it. */
  setStatus(status: RunStatus, elsewhere?: boolean): void;
  /** P: pause when running, resume when paused. */
  togglePause(): void;
  /** X: reveal the stop confirmation. */
  askStop(): void;
}

const CAN_PAUSE: RunStatus[] = ['running'];
const CAN_RESUME: RunStatus[] = ['paused', 'stopped', 'failed', 'interrupted'];
const CAN_STOP: RunStatus[] = ['created', 'running', 'paused', 'interrupted'];

export function createRunControls(api: RendererApi, runId: string, onDone: (error: Error | null) => void): RunControls {
  let status: RunStatus = 'created';
  let elsewhere = false;
  let inFlight = false;
  const pause = h('button', { type: 'button', class: 'button', 'data-testid': 'pause-run', 'aria-keyshortcuts': 'P' }, 'Pause');
  const resume = h(
    'button',
    { type: 'button', class: 'button', 'data-testid': 'resume-run', 'aria-keyshortcuts': 'P' },
    'Resume',
  );
  const stop = h(
    'button',
    { type: 'button', class: 'button button-danger', 'data-testid': 'stop-run', 'aria-keyshortcuts': 'X' },
    'Stop',
  );
  const confirm = h('button', { type: 'button', class: 'button button-danger', 'data-testid': 'stop-confirm' }, 'Stop run');
  const cancel = h('button', { type: 'button', class: 'button', 'data-testid': 'stop-cancel' }, 'Cancel');
  const confirmBox = h(
    'span',
    { class: 'confirm', role: 'group', 'aria-label': 'Confirm stop', hidden: true },
    h('span', null, 'Stop and checkpoint?'),
    confirm,
    cancel,
  );

  const render = (): void => {
    pause.disabled = inFlight || elsewhere || !CAN_PAUSE.includes(status);
    resume.disabled = inFlight || elsewhere || !CAN_RESUME.includes(status);
    stop.disabled = inFlight || elsewhere || !CAN_STOP.includes(status);
    for (const b of [pause, resume]) b.hidden = elsewhere;
    if (stop.disabled) confirmBox.hidden = true;
    stop.hidden = elsewhere || !confirmBox.hidden;
  };

  const act = async (call: () => Promise<void>): Promise<void> => {
    inFlight = true;
    confirmBox.hidden = true;
    render();
    try {
      await call();
      onDone(null);
    } catch (err) {
      onDone(err as Error);
    } finally {
      inFlight = false;
      render();
    }
  };

  const askStop = (): void => {
    if (stop.disabled) return;
    confirmBox.hidden = false;
    render();
    cancel.focus();
  };
  pause.addEventListener('click', () => act(() => api.pauseRun(runId)));
  resume.addEventListener('click', () => act(() => api.resumeRun(runId)));
  stop.addEventListener('click', askStop);
  confirm.addEventListener('click', () => act(() => api.stopRun(runId)));
  cancel.addEventListener('click', () => {
    confirmBox.hidden = true;
    render();
    stop.focus();
  });
  render();

  return {
    element: h('div', { class: 'run-controls', role: 'toolbar', 'aria-label': 'Run controls' }, pause, resume, stop, confirmBox),
    setStatus(next, isElsewhere = false) {
      status = next;
      elsewhere = isElsewhere;
      render();
    },
    togglePause() {
      if (!pause.disabled) pause.click();
      else if (!resume.disabled) resume.click();
    },
    askStop,
  };
}
