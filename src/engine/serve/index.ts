export { startServer, type ServerOptions, type RunningServer } from './server';
export { API_PATH } from './api-socket';
