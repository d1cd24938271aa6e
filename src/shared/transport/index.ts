export * from './messages';
export { createApiClient, type ApiClient, type IpcPort, type OnMessage } from './client';
export { serveApi, errorMessage, type Subscribe, type InternalErrorLog } from './server';
export { encodeMessage, decodeMessage } from './json-codec';
