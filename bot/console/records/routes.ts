// `/console/records` (the latest records and their photos and files) and `/console/records/files/:id` (one
// of them, downloaded under its name). A record of another school is not found.

import { visitsAtSchool } from '../../../db/queries/bureau.ts';
import { completionPhotoById, listRecordFiles } from '../../../db/queries/evidence.ts';
import { rowId } from '../../../db/queries/ids.ts';
import { recentCompletions } from '../../../db/queries/obligations.ts';
import { photoExtension } from '../../../handlers/photo-text.ts';
import { type ConsoleKit, consoleApp, download } from '../kit.ts';
import { recordsPage } from './page.ts';

const LIMIT = 200;

export function recordsRoutes(kit: ConsoleKit) {
  const { db } = kit;
  const app = consoleApp();

  app.get('/console/records', kit.viewer, async (c) => {
    const { tenant } = c.var.viewer;
    const rows = await recentCompletions(db, tenant.id, LIMIT);
    const files = await listRecordFiles(
      db,
      tenant.id,
      rows.map((row) => row.completion.id),
    );
    const items = rows.map((row) => ({
      ...row,
      files: files.filter((file) => file.completionId === row.completion.id),
    }));
    // The visits of the school's bureau at it (区教育局督查), read through the school's own parent only.
    const visits = await visitsAtSchool(db, tenant.id, undefined, LIMIT);
    return kit.renderWithFlash(c, recordsPage({ timeZone: tenant.timezone, items, visits, limit: LIMIT }), {
      title: '工作记录',
      active: 'records',
    });
  });

  // A photo or file of a record of the viewer's tenant: another tenant's id, or one not kept, is not found.
  app.get('/console/records/files/:id', kit.viewer, async (c) => {
    const { tenant } = c.var.viewer;
    const id = rowId(c.req.param('id'));
    const row = id === undefined ? undefined : await completionPhotoById(db, tenant.id, id);
    const file = row?.fileId && (await kit.evidence?.read(tenant.id, row.fileId));
    if (!row || !file) return c.text('文件不存在或尚未保存。', 404);
    const extension = photoExtension(file.contentType);
    const name = row.fileName ?? `记录附件-${row.id}.${extension}`;
    return download(c, file.contentType, `record-file-${row.id}.${extension}`, name, file.bytes);
  });

  return app;
}
