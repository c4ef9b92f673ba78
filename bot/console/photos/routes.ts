// Photo packs (ZIP): `/console/hazards/:id/photos.zip` (one hazard's photos) and `/console/ledger/photos`
// (the photos of a period's hazards, as the ledger has them). A hazard of another school is not found.
import { PassThrough, Readable } from 'node:stream';
import { rowId } from '../../../db/queries/ids.ts';
import { ledgerExportIds } from '../../../db/queries/ledger-export.ts';
import { hazardCodeById } from '../../../db/queries/photo-packs.ts';
import { ExportPeriodError, parseExportPeriod } from '../../../handlers/ledger-export.ts';
import { writePhotoPack } from '../../../handlers/photo-pack.ts';
import { attachment, type ConsoleContext, type ConsoleKit, consoleApp } from '../kit.ts';

export function photosRoutes(kit: ConsoleKit) {
  const { db, log, evidence } = kit;
  const app = consoleApp();

  /** Streams the pack: a failure half-way aborts the download, never a truncated file kept for whole. */
  function pack(c: ConsoleContext, hazardIds: number[], fallback: string, name: string) {
    const { tenant } = c.var.viewer;
    c.header('Content-Type', 'application/zip');
    c.header('Content-Disposition', attachment(fallback, name));
    c.header('Cache-Control', 'no-store');
    const output = new PassThrough();
    writePhotoPack(db, tenant, hazardIds, evidence.read, output).catch((error) => {
      log.error('photo pack failed', { tenantId: tenant.id, error: String(error) });
      output.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    return c.body(Readable.toWeb(output) as ReadableStream<Uint8Array>);
  }

  app.get('/console/hazards/:id/photos.zip', kit.viewer, async (c) => {
    const id = rowId(c.req.param('id'));
    const hazard = id === undefined ? undefined : await hazardCodeById(db, c.var.viewer.tenant.id, id);
    if (!hazard) return c.text('没有这条隐患。', 404);
    return pack(c, [hazard.id], `photos_${hazard.code}.zip`, `隐患照片_${hazard.code}.zip`);
  });

  app.get('/console/ledger/photos', kit.viewer, async (c) => {
    const { tenant } = c.var.viewer;
    const from = (c.req.query('from') ?? '').trim();
    const to = (c.req.query('to') ?? '').trim();
    let period: ReturnType<typeof parseExportPeriod>;
    try {
      period = parseExportPeriod(from, to, tenant.timezone);
    } catch (error) {
      if (error instanceof ExportPeriodError) return c.text(error.message, 400);
      throw error;
    }
    const ids = await ledgerExportIds(db, tenant.id, period);
    return pack(
      c,
      ids,
      `photos_${tenant.code}_${from}_${to}.zip`,
      `隐患照片_${tenant.name}_${from}_${to}.zip`,
    );
  });

  return app;
}
