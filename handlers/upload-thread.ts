// Uploads are parsed on a thread of their own, so that a large or hostile file (an org file with
// 40,000 keys, a 20,000-row roster) never holds up the webhooks: the HTTP thread keeps answering while it
// is read. The thread is stopped (worker.terminate()) when the parse passes its time limit or its heap
// limit, and the upload is refused with a message. On Cloudflare Workers there are no threads: the file
// is parsed in place, bounded by the same size, row and cell limits.
import { workerThreads } from '../bot/core/threads.ts';
import type { OrgFile } from './org-file.ts';
import type { ParsedRoster, ParseOptions } from './roster-file.ts';
import { UPLOAD_LIMITS, type UploadLimits } from './upload-limits.ts';
import { runUploadTask, settle, type UploadOutcome, type UploadTask } from './upload-tasks.ts';

/** Why a parse was stopped, as the refusal the uploader sees. */
function stoppedOutcome(task: UploadTask, why: 'time' | 'memory', limits: UploadLimits): UploadOutcome {
  const seconds = limits.parseMs / 1000;
  const message =
    task.kind === 'roster'
      ? why === 'time'
        ? `文件 ${seconds} 秒内未能读完，已停止；请删去值班表以外的内容，或分成几个文件导入`
        : '文件内容过于庞大，读取时已停止；请删去值班表以外的内容，或分成几个文件导入'
      : why === 'time'
        ? `not read within ${seconds} s and stopped: split the file or remove what the organization does not need`
        : 'too large to read (stopped): remove what the organization does not need';
  const problems = task.kind === 'roster' ? [{ message }] : [{ path: '(file)', message }];
  return { ok: false, refused: task.kind, file: task.file, problems, omitted: 0 };
}

type NodeWorker = import('node:worker_threads').Worker;

/** A parse thread that finished its last task, kept for the next one (its heap limit is fixed at start). */
let idle: { worker: NodeWorker; heap: number } | undefined;

function startThread(node: typeof import('node:worker_threads'), heap: number): NodeWorker {
  const worker = new node.Worker(new URL('./upload-worker.mjs', import.meta.url), {
    // The thread needs none of the parent's loaders (tsx, vitest): it loads the parsers itself.
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: heap },
  });
  // A thread that fails while idle is forgotten, not thrown at the process.
  worker.on('error', () => {});
  worker.on('exit', () => {
    if (idle?.worker === worker) idle = undefined;
  });
  return worker;
}

async function run(task: UploadTask, limits: UploadLimits): Promise<UploadOutcome> {
  const node = await workerThreads();
  if (!node) return runUploadTask(task, limits);
  const heap = limits.parseHeapMegabytes;
  const reused = idle?.heap === heap ? idle.worker : undefined;
  if (reused) idle = undefined;
  const worker = reused ?? startThread(node, heap);
  worker.ref();
  const id = Math.random();
  return new Promise<UploadOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: UploadOutcome, keep = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (keep && !idle) {
        // An idle thread does not keep the process alive.
        worker.unref();
        idle = { worker, heap };
      } else void worker.terminate();
      resolve(outcome);
    };
    // The clock starts with the task: starting a thread (~0.3 s) is not the file's fault.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const send = () => {
      timer = setTimeout(() => finish(stoppedOutcome(task, 'time', limits)), limits.parseMs);
      worker.postMessage({ id, task, limits });
    };
    const onMessage = (message: { ready: true } | { id: number; outcome: UploadOutcome }) => {
      if ('ready' in message) send();
      else if (message.id === id) finish(message.outcome, true);
    };
    const onError = (error: Error & { code?: string }) =>
      finish(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? stoppedOutcome(task, 'memory', limits)
          : { ok: false, failed: error.stack ?? error.message },
      );
    const onExit = (code: number) => finish({ ok: false, failed: `parse thread stopped (exit ${code})` });
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    if (reused) send();
  });
}

/** parseRoster on a parse thread: the rows, or RosterFileError. */
export async function parseRosterInThread(
  file: string,
  bytes: Uint8Array,
  options: ParseOptions,
  limits: UploadLimits = UPLOAD_LIMITS,
): Promise<ParsedRoster> {
  return settle(await run({ kind: 'roster', file, bytes, options }, limits)) as ParsedRoster;
}

/** parseOrgFile on a parse thread: the organization, or OrgFileError. */
export async function parseOrgFileInThread(
  file: string,
  source: string,
  limits: UploadLimits = UPLOAD_LIMITS,
): Promise<OrgFile> {
  return settle(await run({ kind: 'org', file, source }, limits)) as OrgFile;
}
