/**
 * electron-vite build of the desktop app:
 *  - main: the Electron entry (`index`), the device worker (`device-worker`, forked with
 *    utilityProcess) and its communication thread (`comm-thread`, a worker_threads entry that the
 *    device worker finds beside itself), ESM like package.json; native and large packages stay
 *    external (loaded from node_modules at run time: better-sqlite3's .node binding, tfjs and its
 *    wasm files).
 *  - preload: one CommonJS file, because sandboxed preloads cannot be ES modules.
 *  - renderer: src/renderer (index.html + src), also served by `dtrain serve` in web mode.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      // Every package.json dependency is external by default; these are listed so that optional
      // ones (tfjs-node-gpu) and deep imports stay external even if the dependency lists change.
      externalizeDeps: { include: ['better-sqlite3', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] },
      rollupOptions: {
        input: {
          index: resolve(root, 'src/main/index.ts'),
          'device-worker': resolve(root, 'src/workers/device-worker.ts'),
          'comm-thread': resolve(root, 'src/workers/transport/comm-thread.ts'),
        },
        external: [/^@tensorflow\//, 'better-sqlite3'],
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // Bundle everything (the transport module): a sandboxed preload can require only `electron`.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: { input: { index: resolve(root, 'src/renderer/index.html') } },
    },
  },
});
