// A parse thread run from the sources (tsx, vitest). Plain JavaScript, as a worker thread loads its file
// with Node's own loader; the loop (handlers/upload-worker.ts) is TypeScript, loaded through tsx's
// tsImport, which compiles it for this import alone (no loader is registered for the thread or the
// process). The build (scripts/build.mjs) puts the compiled loop at dist/handlers/upload-worker.mjs instead.
import { tsImport } from 'tsx/esm/api';

await tsImport('./upload-worker.ts', import.meta.url);
