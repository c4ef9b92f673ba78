// What the backup tools say about the embedded database's folder before they open it.
import { existsSync } from 'node:fs';
import { CliError } from '../cli/options.ts';
import { runningService } from './control.ts';

/** Refuses when the folder is missing, or held by a running service (`why`: what stopping it is for). */
export async function folderFree(dataDir: string, why: string): Promise<void> {
  if (!existsSync(dataDir))
    throw new CliError(`数据目录 ${dataDir} 不存在：请设置 DATA_DIR（或 DATABASE_URL）。未做任何改动。`);
  await refuseWhileRunning(dataDir, why);
}

/** Refuses when a service holds the folder: two processes on one PGlite folder would corrupt it. */
export async function refuseWhileRunning(dataDir: string, why: string): Promise<void> {
  const running = await runningService(dataDir);
  if (!running) return;
  throw new CliError(
    running.silent
      ? `进程 ${running.pid} 持有数据目录 ${dataDir} 但没有应答（可能正在启动或停止）：请稍后再试；若该进程并非本服务，删除 ${dataDir}/control.json 后重试。未做任何改动。`
      : `服务正在运行（进程 ${running.pid}），数据目录 ${dataDir} 由它使用：${why}。未做任何改动。`,
  );
}

/** A URL with its password hidden, for printing. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(无法解析的地址)';
  }
}
