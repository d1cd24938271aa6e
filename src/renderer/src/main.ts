/** Renderer entry: theme first (no flash of the wrong colours), then the connection and the app. */
import './styles/base.css';
import './styles/layout.css';
import './styles/controls.css';
import './styles/components.css';
import './styles/dashboard.css';
import './styles/run-page.css';
import './styles/sweeps.css';
import './styles/runs.css';
import './styles/new-run.css';
import { createApp, type App } from './app';
import { connect } from './connect';
import { initTheme } from './theme';
import type { ConnectionState } from './ws-api';

initTheme();

let app: App | null = null;
let pendingState: ConnectionState = 'connecting';
let pendingProblem: string | null = null;
const connection = connect(
  (state) => {
    pendingState = state;
    app?.setConnectionState(state);
  },
  () => app?.reload(),
  (message) => {
    pendingProblem = message;
    app?.showProblem(message);
  },
);
app = createApp(document.getElementById('app')!, connection);
app.setConnectionState(pendingState);
if (pendingProblem !== null) app.showProblem(pendingProblem);
