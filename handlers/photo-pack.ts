// Photo packs: the photos of one hazard, or of the hazards of a period (the ledger's), as one ZIP with
// `<隐患编号>/<整改前|整改后>-<n>.<ext>` and an index (照片清单.csv) listing every photo, one not stored
// (still downloading, given up, or gone) as missing with the reason: never silently left out.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Zip, ZipPassThrough } from 'fflate';
import type { Queryable } from '../db/client.ts';
import { type PhotoPackRow, photoPackRows } from '../db/queries/photo-packs.ts';
import { STAGE_LABEL } from './evidence-rules.ts';
import { BOM, csvField } from './ledger-export.ts';
import { photoExtension, type ReadPhoto } from './photo-text.ts';
import { formatDateTime } from './time.ts';

export const PACK_INDEX_NAME = '照片清单.csv';
export const PACK_INDEX_HEADER = ['隐患编号', '阶段', '序号', '文件', '上传时间', '发送人', '状态'] as const;

/** Hazards whose photos are read per query (a period of a district has thousands). */
const PAGE = 500;

export interface PhotoPackResult {
  hazards: number;
  files: number;
  missing: number;
}

function missingReason(row: PhotoPackRow): string {
  if (row.status === 'pending') return '缺失：尚未保存（正在从平台下载）';
  if (row.status === 'failed') return `缺失：未能保存（${row.error ?? '原因不明'}）`;
  return '缺失：文件未找到';
}

/**
 * Writes the ZIP of these hazards' photos into `output` (stored, not compressed: photos are compressed
 * already), one file read at a time, and ends it. A failure half-way rejects; the caller discards what
 * was written.
 */
export async function writePhotoPack(
  db: Queryable,
  tenant: { id: number; timezone: string },
  hazardIds: readonly number[],
  read: ReadPhoto,
  output: Writable,
): Promise<PhotoPackResult> {
  let failed: Error | undefined;
  let pending: Promise<unknown> = Promise.resolve();
  const zip = new Zip((error, chunk, final) => {
    if (error) {
      failed = error;
      return;
    }
    if (!output.write(chunk)) pending = once(output, 'drain');
    if (final) output.end();
  });
  const add = async (name: string, bytes: Uint8Array, mtime: Date) => {
    const entry = new ZipPassThrough(name);
    entry.mtime = mtime;
    zip.add(entry);
    entry.push(bytes, true);
    await pending;
    if (failed) throw failed;
  };

  const index: string[] = [BOM + PACK_INDEX_HEADER.map(csvField).join(',')];
  const result: PhotoPackResult = { hazards: 0, files: 0, missing: 0 };
  for (let start = 0; start < hazardIds.length; start += PAGE) {
    const rows = await photoPackRows(db, tenant.id, hazardIds.slice(start, start + PAGE));
    const numbers = new Map<string, number>();
    for (const row of rows) {
      const key = `${row.code}\0${row.stage}`;
      const n = (numbers.get(key) ?? 0) + 1;
      numbers.set(key, n);
      const file = row.status === 'stored' && row.fileId !== null ? await read(tenant.id, row.fileId) : null;
      const name = `${row.code}/${STAGE_LABEL[row.stage]}-${n}.${photoExtension(file?.contentType ?? row.contentType)}`;
      if (file) {
        await add(name, file.bytes, row.createdAt);
        result.files += 1;
      } else result.missing += 1;
      index.push(
        [
          row.code,
          STAGE_LABEL[row.stage],
          n,
          file ? name : '',
          formatDateTime(row.createdAt, tenant.timezone),
          row.addedByName ?? '',
          file ? '已保存' : missingReason(row),
        ]
          .map(csvField)
          .join(','),
      );
    }
    result.hazards += new Set(rows.map((row) => row.hazardId)).size;
  }
  await add(PACK_INDEX_NAME, new TextEncoder().encode(`${index.join('\r\n')}\r\n`), new Date());
  zip.end();
  await pending;
  if (failed) throw failed;
  return result;
}
