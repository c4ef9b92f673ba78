// npm run ledger:export -- --from 2026-01-01 --to 2026-03-31 --out ledger.xlsx [--tenant <code>] [--format xlsx|csv]
// Writes the hazard ledger (隐患排查整改台账) of a period for the superior bureau's inspections.
// Bad arguments are reported precisely (exit 2) and nothing is written; the file appears only complete.

import { createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { tenantsByCode } from '../../db/queries/tenants.ts';
import { ExportPeriodError, exportLedger, parseExportPeriod } from '../../handlers/ledger-export.ts';
import { createEvidenceStore } from '../core/evidence.ts';
import { createThumbnailer } from '../core/thumbnails.ts';
import { CliError, defineCli, readOptions, runIfMain, UsageError } from './options.ts';

const USAGE =
  '用法：npm run ledger:export -- --from <YYYY-MM-DD> --to <YYYY-MM-DD> --out <文件.xlsx|文件.csv> ' +
  '[--tenant <单位代码>] [--format xlsx|csv]';

type Format = 'xlsx' | 'csv';
const FORMATS: Format[] = ['xlsx', 'csv'];

interface Arguments {
  from: string;
  to: string;
  out: string;
  tenant?: string;
  format: Format;
}

function parseArguments(argv: string[]): Arguments | 'help' {
  const read = readOptions(argv, { options: ['from', 'to', 'out', 'tenant', 'format'] });
  if (read === 'help') return read;
  const { values } = read;
  for (const required of ['from', 'to', 'out'] as const) {
    if (values[required] === undefined) throw new UsageError(`缺少 --${required}`);
  }
  const out = values.out!;
  const extension = extname(out).slice(1).toLowerCase();
  let format: Format;
  if (values.format !== undefined) {
    const named = values.format.toLowerCase();
    if (!FORMATS.includes(named as Format)) {
      throw new UsageError(`--format 只能是 xlsx 或 csv，而不是“${values.format}”`);
    }
    format = named as Format;
    if (FORMATS.includes(extension as Format) && extension !== format) {
      throw new UsageError(`--format ${format} 与输出文件的扩展名 .${extension} 不符`);
    }
  } else {
    if (!FORMATS.includes(extension as Format)) {
      throw new UsageError(
        `无法从输出文件“${out}”的扩展名判断格式：请用 .xlsx 或 .csv 结尾，或给出 --format xlsx|csv`,
      );
    }
    format = extension as Format;
  }
  // The dates are checked now, before the database is opened; the tenant's zone is applied later.
  try {
    parseExportPeriod(values.from!, values.to!, 'UTC');
  } catch (error) {
    if (error instanceof ExportPeriodError) throw new UsageError(error.message);
    throw error;
  }
  checkOutput(out);
  return { from: values.from!, to: values.to!, out, tenant: values.tenant, format };
}

function checkOutput(out: string) {
  const path = resolve(out);
  const directory = statSync(dirname(path), { throwIfNoEntry: false });
  if (!directory?.isDirectory()) throw new UsageError(`输出目录“${dirname(out)}”不存在`);
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`输出路径“${out}”是一个目录，请给出文件名`);
  }
}

export const command = defineCli(
  { name: 'ledger:export', usage: USAGE, parse: parseArguments },
  async (args, cli) => {
    const { db } = await cli.database();
    const all = await tenantsByCode(db);
    const codes = all.map((tenant) => tenant.code).join('、');
    if (all.length === 0)
      throw new CliError('数据库中还没有单位，请先运行 npm run org:import -- <组织文件.yaml>');
    const tenant = args.tenant ? all.find((candidate) => candidate.code === args.tenant) : all[0];
    if (args.tenant && !tenant)
      throw new CliError(`没有代码为“${args.tenant}”的单位（已有：${codes}）\n${USAGE}`, 2);
    if (!args.tenant && all.length > 1) {
      throw new CliError(`数据库中有多个单位，请用 --tenant 指明其一：${codes}\n${USAGE}`, 2);
    }
    const chosen = tenant!;
    const period = parseExportPeriod(args.from, args.to, chosen.timezone);

    // Written beside the target and renamed at the end: an interrupted export leaves no half file.
    const partial = resolve(dirname(args.out), `.${basename(args.out)}.${process.pid}.partial`);
    const output = createWriteStream(partial);
    const written = finished(output);
    written.catch(() => {}); // awaited below; an early failure (the disk) ends the export instead
    let count: number;
    try {
      // The thumbnails the export makes (photos kept before they existed) are kept for the next export.
      const thumbnails = await createThumbnailer();
      const evidence = createEvidenceStore({ db, s3: cli.config().evidenceS3, thumbnails });
      try {
        count = await exportLedger(db, chosen, period, args.format, output, new Date(), {
          readPhoto: evidence.read,
          readThumbnail: evidence.thumbnail,
        });
      } finally {
        await thumbnails?.close();
      }
      await written;
      renameSync(partial, args.out);
    } catch (error) {
      output.destroy();
      rmSync(partial, { force: true });
      throw error;
    }
    cli.stdout(`已导出 ${count} 条隐患到 ${args.out}\n`);
    return 0;
  },
);

runIfMain(import.meta.url, command);
