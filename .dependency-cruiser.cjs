/**
 * The import rules of the layout (docs/architecture.md, "Import rules"), checked by
 * `npm run lint:imports`, which `npm test` runs first. A violation fails the test run.
 */
const ENGINE_SIDE = '^src/(engine|main|workers|cli|datasets|renderer|preload)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      severity: 'error',
      comment:
        'src/core is the runtime-agnostic library: no Node built-ins, no Electron, no SQLite, nothing of the processes around it.',
      from: { path: '^src/core/' },
      to: { path: [ENGINE_SIDE, '(^|/)node_modules/(electron|better-sqlite3|ws|comlink)/'] },
    },
    {
      name: 'core-no-node-builtins',
      severity: 'error',
      comment: 'src/core runs in a browser or any worker: Node built-in modules are not available there.',
      from: { path: '^src/core/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-shared-leaves-only',
      severity: 'error',
      comment:
        'Of src/shared, core imports only the pure leaves every side shares: errors.ts (UserError, the API codes its domain errors carry) and defaults.ts (the defaults its optimizer takes).',
      from: { path: '^src/core/' },
      to: { path: '^src/shared/', pathNot: '^src/shared/(errors|defaults)\\.ts$' },
    },
    {
      name: 'workers-not-engine',
      severity: 'error',
      comment:
        'A device worker imports core, datasets and shared only; never the engine, the Electron shell, the CLI or the renderer.',
      from: { path: '^src/workers/' },
      to: { path: '^src/(engine|main|cli|renderer|preload)/' },
    },
    {
      name: 'datasets-are-shared-by-engine-and-workers',
      severity: 'error',
      comment: 'src/datasets is used by both the engine and the workers, so it may depend on neither.',
      from: { path: '^src/datasets/' },
      to: { path: '^src/(engine|main|workers|cli|renderer|preload)/' },
    },
    {
      name: 'engine-not-shells',
      severity: 'error',
      comment: 'The engine serves every front end; it does not import one (Electron main, CLI, renderer, preload).',
      from: { path: '^src/engine/' },
      to: { path: '^src/(main|cli|renderer|preload)/' },
    },
    {
      name: 'engine-uses-two-worker-modules',
      severity: 'error',
      comment:
        'The engine starts workers but does not run their step: it may use the worker side of the parent channel (endpoints) and the native-BLAS loader (doctor reports what a worker would load), nothing else of src/workers.',
      from: { path: '^src/engine/' },
      to: { path: '^src/workers/', pathNot: '^src/workers/(endpoints|native-blas)\\.ts$' },
    },
    {
      name: 'renderer-only-shared',
      severity: 'error',
      comment: 'The renderer talks to the engine only through the typed API in src/shared.',
      from: { path: '^src/renderer/' },
      to: { path: '^src/', pathNot: '^src/(renderer|shared)/' },
    },
    {
      name: 'renderer-no-node',
      severity: 'error',
      comment: 'The renderer runs sandboxed in a browser page: no Node built-ins.',
      from: { path: '^src/renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'shared-is-contracts-only',
      severity: 'error',
      comment: 'src/shared holds the typed contracts both sides import: it depends on nothing outside itself.',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: '^src/shared/' },
    },
    {
      name: 'electron-only-in-shell',
      severity: 'error',
      comment: 'Only the Electron main process and the preload import electron; the engine also runs under plain Node.',
      from: { pathNot: '^src/(main|preload)/' },
      to: { path: '(^|/)node_modules/electron/|^electron$' },
    },
    // Layers inside src/core, bottom to top (docs/architecture.md, "Layers inside the layers"):
    //   base: errors, context, text, metering, async, random, wasm, statistics
    //   dtensor, data
    //   tfjs, variables, collectives, checkpoint, sweeps
    //   optimizers
    //   models (keras/ below the rest of models)
    //   evaluation, index
    {
      name: 'core-base-is-leaf',
      severity: 'error',
      comment:
        'The base of core (errors, the compute context, text, metering, async, random, wasm, statistics) imports nothing else of core.',
      from: { path: '^src/core/(errors\\.ts|context\\.ts|text/|metering/|async/|random/|wasm/|statistics/)' },
      to: {
        path: '^src/core/',
        pathNot: '^src/core/(errors\\.ts|context\\.ts|text/|metering/|async/|random/|wasm/|statistics/)',
      },
    },
    {
      name: 'core-dtensor-data-low',
      severity: 'error',
      comment: 'Mesh/layout math and data transforms sit just above the base: they import only the base and each other.',
      from: { path: '^src/core/(dtensor|data)/' },
      to: {
        path: '^src/core/(tfjs|variables|collectives|checkpoint|sweeps|optimizers|models|evaluation)/|^src/core/index\\.ts$',
      },
    },
    {
      name: 'core-middle-below-optimizers',
      severity: 'error',
      comment: 'Kernels, variables, collectives, checkpoints and sweeps serve the optimizer and the models; they import neither.',
      from: { path: '^src/core/(tfjs|variables|collectives|checkpoint|sweeps)/' },
      to: { path: '^src/core/(optimizers|models|evaluation)/|^src/core/index\\.ts$' },
    },
    {
      name: 'core-optimizers-below-models',
      severity: 'error',
      comment: 'The optimizer knows variables and gradients, not models.',
      from: { path: '^src/core/optimizers/' },
      to: { path: '^src/core/(models|evaluation)/|^src/core/index\\.ts$' },
    },
    {
      name: 'core-models-below-evaluation',
      severity: 'error',
      comment: 'Evaluation and the public entry use the models; the models do not use them.',
      from: { path: '^src/core/models/' },
      to: { path: '^src/core/evaluation/|^src/core/index\\.ts$' },
    },
    {
      name: 'keras-translation-below-models',
      severity: 'error',
      comment:
        'models/keras/ translates Keras configs from the model parts (parts.ts, spec.ts); the builders and the step above it use it, never the reverse.',
      from: { path: '^src/core/models/keras/' },
      to: { path: '^src/core/models/[^/]+\\.ts$', pathNot: '^src/core/models/(parts|spec)\\.ts$' },
    },
    {
      name: 'engine-service-on-top',
      severity: 'error',
      comment:
        'service/ is the top of the engine (the TrainerApi): coordinator, sweeps, store, config, keras, export and doctor sit below it.',
      from: { path: '^src/engine/', pathNot: '^src/engine/service/' },
      to: { path: '^src/engine/service/' },
    },
    {
      name: 'engine-store-at-bottom',
      severity: 'error',
      comment: 'The store (SQLite) is the bottom of the engine: it knows records, not runs, workers or services.',
      from: { path: '^src/engine/store/' },
      to: { path: '^src/engine/', pathNot: '^src/engine/store/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles between modules, type-only ones included.',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(out|node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
