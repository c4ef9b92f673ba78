// A thumbnail thread's loop (see bot/core/thumbnails.ts). Messages in: { id, bytes, contentType }; out:
// { id, result } (a ThumbnailResult), one photo at a time. The build makes it
// dist/bot/core/thumbnail-worker.mjs; run from the sources, bot/core/thumbnail-worker.mjs loads it through tsx.
import { parentPort } from 'node:worker_threads';
import { makeThumbnail } from '../../handlers/thumbnail.ts';

const port = parentPort;
if (!port) throw new Error('bot/core/thumbnail-worker runs as a worker thread');
port.on('message', ({ id, bytes, contentType }: { id: number; bytes: Uint8Array; contentType: string }) => {
  port.postMessage({ id, result: makeThumbnail(bytes, contentType) });
});
port.postMessage({ ready: true });
