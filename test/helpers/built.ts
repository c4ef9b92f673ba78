// The arguments to `node` that run a built program (test/helpers/build-setup.ts builds dist/ first):
// 'node' → dist/node.js, 'cli/org-import' → dist/cli/org-import.js.
//
// `--liftoff-only`: a spawned tool lives a few seconds, and V8's second wasm tier (TurboFan) recompiling
// PGlite's hot functions in the background cost about 2 s of CPU per process, more than it saved
// (org-import on a migrated folder: 5.8 → 3.7 s user+sys, measured on a shared machine, 2026-12-06).
// Only the tests' processes run so; `npm start` and the tools keep V8's defaults.
export const built = (program: string, ...args: string[]) => [
  '--enable-source-maps',
  '--liftoff-only',
  `dist/${program}.js`,
  ...args,
];
