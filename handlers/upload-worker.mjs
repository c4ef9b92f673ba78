// A parse thread (see handlers/upload-thread.ts). Plain JavaScript, as a worker thread loads its file
// with Node's own loader; the parsers are TypeScript, loaded through tsx's tsImport, which compiles them
// for this import alone (no loader is registered for the thread or the process). Messages in:
// { id, task, limits }; out: { id, outcome } (an UploadOutcome), one task at a time.
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const port = parentPort;
if (!port) throw new Error('handlers/upload-worker.mjs runs as a worker thread');
const { runUploadTask } = await tsImport('./upload-tasks.ts', import.meta.url);
port.on('message', async ({ id, task, limits }) => {
  port.postMessage({ id, outcome: await runUploadTask(task, limits) });
});
port.postMessage({ ready: true });
