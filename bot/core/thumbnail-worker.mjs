// A thumbnail thread run from the sources (tsx, vitest). Plain JavaScript, as a worker thread loads its file
// with Node's own loader; the loop (bot/core/thumbnail-worker.ts) is TypeScript, loaded through tsx's
// tsImport. The build (scripts/build.mjs) puts the compiled loop at dist/bot/core/thumbnail-worker.mjs instead.
import { tsImport } from 'tsx/esm/api';

await tsImport('./thumbnail-worker.ts', import.meta.url);
