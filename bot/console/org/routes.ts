// `/console/org`: upload the organization file of the admin's own tenant, and the organization as it is.
//
// The upload is parsed and validated as `npm run org:import` does (parseOrgFile, on a parse thread: its
// problems listed, nothing written) and imported in one transaction (importOrganization). A file may only name the
// session's tenant: an admin can neither create nor overwrite another one.
import { importOrganization } from '../../../db/org-import.ts';
import { orgCounts, unitHeads, unitsWithStaff } from '../../../db/queries/org.ts';
import { type OrgFile, OrgFileError } from '../../../handlers/org-file.ts';
import { decodeText, UPLOAD_LIMITS } from '../../../handlers/upload-limits.ts';
import { parseOrgFileInThread } from '../../../handlers/upload-thread.ts';
import { resolutionReport, resolveOrgPeople } from '../../org-resolve.ts';
import { uploadForm } from '../form.ts';
import { actor, type ConsoleContext, type ConsoleKit, consoleApp, type Viewer } from '../kit.ts';
import { type OrgProblems, orgPage, orgSummaryText } from './page.ts';

/** The heaviest organization file an upload may carry. */
export const MAX_ORG_KILOBYTES = UPLOAD_LIMITS.orgBytes / 1024;

export function orgRoutes(kit: ConsoleKit) {
  const { db, log, clock } = kit;
  const app = consoleApp();

  // -------------------------------------------------------------------------------------------------
  // Organization

  const upload = kit.limitTo(MAX_ORG_KILOBYTES * 1024, `文件过大：组织文件最大 ${MAX_ORG_KILOBYTES} KB。`);

  async function orgBody(viewer: Viewer, error?: OrgProblems | string) {
    const tenantId = viewer.tenant.id;
    const rows = [];
    for (const unit of await unitsWithStaff(db, tenantId)) {
      rows.push({
        code: unit.code,
        name: unit.name,
        duties: unit.duties,
        heads: (await unitHeads(db, unit.id)).map((person) => person.name),
        people: unit.people,
      });
    }
    return orgPage({
      csrf: viewer.session.csrf,
      tenantCode: viewer.tenant.code,
      tenantName: viewer.tenant.name,
      units: rows,
      counts: await orgCounts(db, tenantId),
      error,
      maxKilobytes: MAX_ORG_KILOBYTES,
    });
  }

  app.get('/console/org', kit.viewer, async (c) =>
    kit.renderWithFlash(c, await orgBody(c.var.viewer), { title: '组织信息', active: 'org' }),
  );

  const orgUpload = uploadForm(
    {
      kind: '组织文件',
      accepted: /\.ya?ml$/i,
      missing: '请选择要导入的组织文件（.yaml 或 .yml），文件不能为空。',
      refused: (name) => `只能导入 .yaml 或 .yml 文件，“${name}”不是。`,
    },
    async (c: ConsoleContext, message) =>
      kit.render(c, await orgBody(c.var.viewer, message), { title: '组织信息', active: 'org' }, 400),
  );

  app.post('/console/org', upload, kit.post, orgUpload, async (c) => {
    const { viewer } = c.var;
    const { tenant } = viewer;
    const refuse = async (status: 400 | 403 | 409, error: OrgProblems | string) =>
      kit.render(c, await orgBody(viewer, error), { title: '组织信息', active: 'org' }, status);
    // The form checked there is a file (uploadForm).
    const { name, file } = c.req.valid('form').file!;
    const decoded = decodeText(new Uint8Array(await file.arrayBuffer()));
    if (!('text' in decoded)) {
      return refuse(400, `组织文件 ${name} 既不是 UTF-8 也不是 GBK 编码的文本，请另存为 UTF-8 后重新上传。`);
    }
    let org: OrgFile;
    try {
      org = await parseOrgFileInThread(name, decoded.text);
    } catch (error) {
      if (error instanceof OrgFileError) {
        return refuse(400, { file: name, problems: error.problems, omitted: error.omitted });
      }
      throw error;
    }
    if (org.tenant.code !== tenant.code) {
      log.warn('console org import refused: other tenant', {
        tenant: tenant.code,
        admin: actor(viewer),
        file: name,
        fileTenant: org.tenant.code,
      });
      return refuse(
        403,
        `组织文件 ${name} 的单位代码（tenant.code）是“${org.tenant.code}”，而您管理的是“${tenant.code}”（${tenant.name}）：` +
          '只能导入本单位的组织文件，不能新建或覆盖其他单位。未导入任何内容。',
      );
    }
    if (org.settings.calendar_file) {
      return refuse(400, {
        file: name,
        problems: [
          {
            path: 'settings.calendar_file',
            message:
              '网页上传不能引用服务器上的其他文件：请删除此项（节假日调整可直接写在 settings.calendar 中），或在服务器上用 npm run org:import 导入',
          },
        ],
      });
    }
    // People given by mobile or e-mail are looked up first, as `npm run org:import` does; those not
    // found are imported without that platform's id and named in the answer.
    const resolution = await resolveOrgPeople(org, kit.directories);
    let summary: Awaited<ReturnType<typeof importOrganization>>;
    try {
      summary = await importOrganization(db, resolution.org, clock());
    } catch (error) {
      // A chat or platform id another tenant holds: refused whole, and the other tenant is not named.
      if (!(error instanceof OrgFileError)) throw error;
      log.warn('console org import refused: claims held by another tenant', {
        tenant: tenant.code,
        admin: actor(viewer),
        file: name,
        problems: error.problems.length,
      });
      return refuse(409, { file: name, problems: error.problems });
    }
    log.info('console org import', {
      tenant: tenant.code,
      admin: actor(viewer),
      file: name,
      people: summary.people,
      started: summary.holdersStarted,
      ended: summary.holdersEnded,
      found: resolution.found.length,
      unresolved: resolution.unresolved.length,
    });
    const report = resolutionReport(resolution);
    kit.setFlash(
      c,
      report.length === 0
        ? { kind: 'success', text: orgSummaryText(name, summary) }
        : { kind: 'warning', text: orgSummaryText(name, summary, report) },
    );
    return c.redirect('/console/org', 303);
  });

  return app;
}
