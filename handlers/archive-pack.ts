// The year's safety archive (安全管理档案, 004 §二(一) 五有(5)) as one ZIP for an inspection: the registers
// and reports the console downloads one by one — 隐患排查治理台账, 排查登记表, 事故/事件登记, the quarterly
// statistics begun so far, the scored year-end table, every leader's and 部门负责人's 述职述安 — each made
// by the same writer as its own download, with an index (目录.csv) saying what each file holds.
// Photos stay in their own pack (`/console/ledger/photos`): a year of them can be gigabytes.
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { zipSync } from 'fflate';
import type { Queryable } from '../db/client.ts';
import { leadersOf } from '../db/queries/reports.ts';
import type { Tenant } from '../db/queries/tenants.ts';
import { writeAccidentsXlsx, yearRegister } from './accidents.ts';
import { scoredYear, scoredYearXlsx } from './assessment.ts';
import { BOM, csvField, exportLedger, parseExportPeriod } from './ledger-export.ts';
import type { ReadPhoto, ReadThumbnail } from './photo-text.ts';
import { quarterlyXlsx, quarterSpan, yearSpan } from './reports.ts';
import { writeRegisterXlsx } from './round-register.ts';
import { statementDocx } from './statement-docx.ts';
import { statementFor } from './statement-draft.ts';
import { formatDateTime } from './time.ts';

export const ARCHIVE_INDEX_NAME = '00_目录.csv';
export const ARCHIVE_INDEX_HEADER = ['序号', '文件', '内容', '说明'] as const;

interface ArchiveFile {
  path: string;
  what: string;
  note: string;
  bytes: Uint8Array;
}

/** What a writer that ends a stream wrote, as one buffer. */
async function written(write: (output: Writable) => Promise<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const finished = once(output, 'finish');
  await write(output);
  await finished;
  return Buffer.concat(chunks);
}

/**
 * The files of the tenant's archive for `year`, in the order of the index. `confidential`: the accident
 * register's confidential fields (names of the injured, handling) are included — the office's accounts
 * only, as on `/console/accidents`.
 */
export async function archiveFiles(
  db: Queryable,
  tenant: Tenant,
  year: number,
  now: Date,
  options: { readPhoto?: ReadPhoto; readThumbnail?: ReadThumbnail; confidential: boolean },
): Promise<ArchiveFile[]> {
  const files: ArchiveFile[] = [];
  const add = (name: string, what: string, note: string, bytes: Uint8Array) =>
    files.push({ path: name, what, note, bytes });
  const timeZone = tenant.timezone;

  const period = parseExportPeriod(`${year}-01-01`, `${year}-12-31`, timeZone);
  let hazards = 0;
  const ledger = await written(async (output) => {
    hazards = await exportLedger(db, tenant, period, 'xlsx', output, now, options);
  });
  add(`01_隐患排查治理台账_${year}.xlsx`, '隐患排查治理台账（含值班日志）', `隐患 ${hazards} 项`, ledger);

  const register = await writeRegisterXlsx(db, tenant.id, period, now);
  add(`02_安全隐患排查登记表_${year}.xlsx`, '安全隐患排查登记表（全年各次检查，逐项）', '', register.bytes);

  const accidents = await yearRegister(db, tenant, year);
  add(
    `03_事故事件登记_${year}.xlsx`,
    '事故/事件登记表',
    `事故（事件） ${accidents.length} 起${options.confidential ? '' : '；保密字段未导出'}`,
    await writeAccidentsXlsx(accidents, {
      tenantName: tenant.name,
      year,
      now,
      timeZone,
      confidential: options.confidential,
    }),
  );

  for (let quarter = 1; quarter <= 4; quarter += 1) {
    const span = quarterSpan(`${year}-Q${quarter}`, timeZone)!;
    if (span.from > now) break;
    add(
      `04_季度安全工作统计_${span.key}.xlsx`,
      `${span.label}安全工作统计`,
      span.to > now ? '本季度尚未结束，统计至导出时' : '',
      await quarterlyXlsx(db, tenant, span, now),
    );
  }

  const scored = await scoredYear(db, tenant, year, yearSpan(year, timeZone), now);
  add(
    `05_年度安全工作考核_${year}.xlsx`,
    '年度安全工作考核表（得分、等次、一票否决）',
    yearSpan(year, timeZone).to > now ? '本年度尚未结束，统计至导出时' : '',
    await scoredYearXlsx(scored, { tenantName: tenant.name, year, now, timeZone }),
  );

  const leaders = await leadersOf(db, tenant.id);
  const names = leaders.map((leader) => leader.name);
  for (const leader of leaders) {
    const statement = await statementFor(db, tenant, leader, year, now);
    // Two people of one name: the file names carry their ids.
    const name =
      names.filter((one) => one === leader.name).length > 1 ? `${leader.name}_${leader.id}` : leader.name;
    add(
      `06_述职述安/述职述安_${name}_${year}.docx`,
      `${leader.name}${year}年度述职述安报告`,
      statement.saved
        ? `办公室修改稿（${statement.saved.editedBy}，${formatDateTime(statement.saved.editedAt, timeZone)}）`
        : '系统根据记录生成的草稿',
      await statementDocx(statement.text, { author: leader.name }),
    );
  }
  return files;
}

/** The archive as one ZIP (stored: XLSX and DOCX are compressed already), its index first. */
export function archiveZip(
  files: ArchiveFile[],
  meta: { tenantName: string; year: number; now: Date; timeZone: string },
) {
  const lines = [
    ARCHIVE_INDEX_HEADER.map(csvField).join(','),
    ...files.map((file, index) => [index + 1, file.path, file.what, file.note].map(csvField).join(',')),
    [
      '',
      `${meta.tenantName} ${meta.year}年度安全管理档案`,
      `导出于 ${formatDateTime(meta.now, meta.timeZone)}`,
      '隐患照片另见“隐患台账”页的照片包',
    ]
      .map(csvField)
      .join(','),
  ];
  const entries: Record<string, [Uint8Array, { level: 0; mtime: Date }]> = {
    [ARCHIVE_INDEX_NAME]: [
      new TextEncoder().encode(`${BOM}${lines.join('\r\n')}\r\n`),
      { level: 0, mtime: meta.now },
    ],
  };
  for (const file of files) entries[file.path] = [file.bytes, { level: 0, mtime: meta.now }];
  return zipSync(entries);
}
