// `/console/ledger` (the form) and `/console/ledger/export` (the 隐患台账 of a period, .xlsx or .csv).
import { PassThrough, Readable } from 'node:stream';
import { isoDateIn } from '../../../handlers/calendar.ts';
import { ExportPeriodError, exportLedger, parseExportPeriod } from '../../../handlers/ledger-export.ts';
import { attachment, type ConsoleKit, consoleApp, XLSX_TYPE } from '../kit.ts';
import { ledgerPage } from './page.ts';

export function ledgerRoutes(kit: ConsoleKit) {
  const { db, log, clock, evidence } = kit;
  const app = consoleApp();

  app.get('/console/ledger', kit.viewer, async (c) => {
    const { tenant } = c.var.viewer;
    const today = isoDateIn(clock(), tenant.timezone);
    return kit.renderWithFlash(
      c,
      ledgerPage({
        tenantName: tenant.name,
        from: `${today.slice(0, 4)}-01-01`,
        to: today,
        format: 'xlsx',
      }),
      { title: '隐患台账导出', active: 'ledger' },
    );
  });

  app.get('/console/ledger/export', kit.viewer, async (c) => {
    const { tenant } = c.var.viewer;
    const from = (c.req.query('from') ?? '').trim();
    const to = (c.req.query('to') ?? '').trim();
    const format = c.req.query('format') ?? 'xlsx';
    const refuse = (error: string) =>
      kit.render(
        c,
        ledgerPage({
          tenantName: tenant.name,
          from,
          to,
          format: format === 'csv' ? 'csv' : 'xlsx',
          error,
        }),
        { title: '隐患台账导出', active: 'ledger' },
        400,
      );
    if (format !== 'xlsx' && format !== 'csv') return refuse(`格式只能是 xlsx 或 csv，而不是“${format}”。`);
    let period: ReturnType<typeof parseExportPeriod>;
    try {
      period = parseExportPeriod(from, to, tenant.timezone);
    } catch (error) {
      if (error instanceof ExportPeriodError) return refuse(error.message);
      throw error;
    }
    const base = `隐患台账_${tenant.name}_${from}_${to}`;
    const fallback = `ledger_${tenant.code}_${from}_${to}`;
    c.header('Cache-Control', 'no-store');
    c.header('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : XLSX_TYPE);
    c.header('Content-Disposition', attachment(`${fallback}.${format}`, `${base}.${format}`));
    // Written while the pages are read (three years of a district are 100,000 rows): memory stays flat.
    // A failure half-way aborts the download, so the office never keeps a truncated file for complete.
    const output = new PassThrough();
    const written = exportLedger(db, tenant, period, format, output, clock(), {
      readPhoto: evidence.read,
      readThumbnail: evidence.thumbnail,
    });
    written.catch((error) => {
      log.error('ledger export failed', { tenantId: tenant.id, error: String(error) });
      output.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    return c.body(Readable.toWeb(output) as ReadableStream<Uint8Array>);
  });

  return app;
}
