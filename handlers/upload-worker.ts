// A parse thread's loop (see handlers/upload-thread.ts). Messages in: { id, task, limits }; out: { id, outcome }
// (an UploadOutcome), one task at a time. The build makes it dist/handlers/upload-worker.mjs; run from the
// sources, handlers/upload-worker.mjs loads it through tsx.
import { parentPort } from 'node:worker_threads';
import { runUploadTask } from './upload-tasks.ts';

const port = parentPort;
if (!port) throw new Error('handlers/upload-worker runs as a worker thread');
port.on('message', async ({ id, task, limits }) => {
  port.postMessage({ id, outcome: await runUploadTask(task, limits) });
});
port.postMessage({ ready: true });
