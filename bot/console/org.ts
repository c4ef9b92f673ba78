// `/console/org` (upload the organization file of the admin's own tenant, and the organization as it is)
// and `/console/hazards` (the open hazards, and 挂牌督办: the office's account in its own name, or in demo
// mode a chosen leader).
//
// The upload is parsed and validated as `npm run org:import` does (parseOrgFile, on a parse thread: its
// problems listed, nothing written) and imported in one transaction (importOrganization). A file may only name the
// session's tenant: an admin can neither create nor overwrite another one. 挂牌督办 goes through the very
// step of the chat command (listHazard), through actAs: a refusal writes nothing.
import { basename } from 'node:path';
import { and, asc, count, countDistinct, eq, isNull, notInArray } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Hono } from 'hono';
import { importOrganization } from '../../db/org-import.ts';
import { accountLabel, accountLabels } from '../../db/queries/accounts.ts';
import { holdersAtLevel } from '../../db/queries/hazard-roles.ts';
import { rowId } from '../../db/queries/ids.ts';
import { unitHeads } from '../../db/queries/org.ts';
import { categories, hazards, people, postHolders, posts, units } from '../../db/schema.ts';
import { isoDateIn } from '../../handlers/calendar.ts';
import { listHazard } from '../../handlers/hazards.ts';
import { type OrgFile, OrgFileError } from '../../handlers/org-file.ts';
import { TEXT_LIMITS } from '../../handlers/text-limits.ts';
import { decodeText, UPLOAD_LIMITS } from '../../handlers/upload-limits.ts';
import { parseOrgFileInThread } from '../../handlers/upload-thread.ts';
import type { Acting } from '../core/context.ts';
import { Refusal } from '../core/errors.ts';
import { hazardsPage, type ListFormValues, type OpenHazard } from '../pages/hazards.ts';
import { type OrgProblems, orgPage, orgSummaryText } from '../pages/org.ts';
import { memberLabel } from '../pages/simulator.ts';
import { actAs } from './act.ts';
import { setFlash, takeFlash } from './auth.ts';
import { type ConsoleKit, inTheNameOf } from './operations.ts';
import { memberById, membersOf } from './queries.ts';
import type { Viewer } from './routes.ts';

/** The heaviest organization file an upload may carry. */
export const MAX_ORG_KILOBYTES = UPLOAD_LIMITS.orgBytes / 1024;
const MAX_MATTER = TEXT_LIMITS.matter;
const lister = alias(people, 'lister');

const text = (value: unknown) => (typeof value === 'string' ? value : '');
const who = (viewer: Viewer) => viewer.account?.username ?? '(demo)';

export function registerOrgAndHazards(app: Hono, kit: ConsoleKit): void {
  const { db, log, clock } = kit;

  // -------------------------------------------------------------------------------------------------
  // Organization

  const upload = kit.limitTo(MAX_ORG_KILOBYTES * 1024, `文件过大：组织文件最大 ${MAX_ORG_KILOBYTES} KB。`);

  async function orgBody(viewer: Viewer, error?: OrgProblems | string) {
    const tenantId = viewer.tenant.id;
    const unitRows = await db
      .select({ id: units.id, code: units.code, name: units.name, duties: units.safetyDuties })
      .from(units)
      .where(and(eq(units.tenantId, tenantId), eq(units.archived, false)))
      .orderBy(asc(units.id));
    const staffed = await db
      .select({ unitId: posts.unitId, people: countDistinct(postHolders.personId) })
      .from(posts)
      .innerJoin(postHolders, and(eq(postHolders.postId, posts.id), isNull(postHolders.endedAt)))
      .where(and(eq(posts.tenantId, tenantId), eq(posts.archived, false)))
      .groupBy(posts.unitId);
    const rows = [];
    for (const unit of unitRows) {
      rows.push({
        code: unit.code,
        name: unit.name,
        duties: unit.duties,
        heads: (await unitHeads(db, unit.id)).map((person) => person.name),
        people: staffed.find((row) => row.unitId === unit.id)?.people ?? 0,
      });
    }
    const total = async (table: typeof people | typeof posts | typeof categories) => {
      const [row] = await db
        .select({ n: count() })
        .from(table)
        .where(
          table === people
            ? and(eq(people.tenantId, tenantId), eq(people.archived, false), eq(people.isOutside, false))
            : table === posts
              ? and(eq(posts.tenantId, tenantId), eq(posts.archived, false))
              : eq(categories.tenantId, tenantId),
        );
      return row?.n ?? 0;
    };
    return orgPage({
      csrf: viewer.session.csrf,
      tenantCode: viewer.tenant.code,
      tenantName: viewer.tenant.name,
      units: rows,
      counts: { people: await total(people), posts: await total(posts), categories: await total(categories) },
      error,
      maxKilobytes: MAX_ORG_KILOBYTES,
    });
  }

  app.get('/console/org', async (c) => {
    const resolved = await kit.viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { viewer, key } = resolved;
    return kit.page(
      c,
      200,
      await kit.frameOf(viewer, { title: '组织信息', active: 'org', flash: takeFlash(c, key) }),
      await orgBody(viewer),
    );
  });

  app.post('/console/org', upload, async (c) => {
    const posted = await kit.postFor(c);
    if (posted instanceof Response) return posted;
    const { viewer, key, form } = posted;
    const { tenant } = viewer;
    const refuse = async (status: 400 | 403 | 409, error: OrgProblems | string) =>
      kit.page(
        c,
        status,
        await kit.frameOf(viewer, { title: '组织信息', active: 'org' }),
        await orgBody(viewer, error),
      );
    const file = form.file;
    if (!(file instanceof File) || file.size === 0) {
      return refuse(400, '请选择要导入的组织文件（.yaml 或 .yml），文件不能为空。');
    }
    const name = basename(file.name.replaceAll('\\', '/')).slice(-120) || '组织文件';
    if (!/\.ya?ml$/i.test(name)) return refuse(400, `只能导入 .yaml 或 .yml 文件，“${name}”不是。`);
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
        admin: who(viewer),
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
    let summary: Awaited<ReturnType<typeof importOrganization>>;
    try {
      summary = await importOrganization(db, org, clock());
    } catch (error) {
      // A chat or platform id another tenant holds: refused whole, and the other tenant is not named.
      if (!(error instanceof OrgFileError)) throw error;
      log.warn('console org import refused: claims held by another tenant', {
        tenant: tenant.code,
        admin: who(viewer),
        file: name,
        problems: error.problems.length,
      });
      return refuse(409, { file: name, problems: error.problems });
    }
    log.info('console org import', {
      tenant: tenant.code,
      admin: who(viewer),
      file: name,
      people: summary.people,
      started: summary.holdersStarted,
      ended: summary.holdersEnded,
    });
    setFlash(c, key, { kind: 'success', text: orgSummaryText(name, summary) });
    return c.redirect('/console/org', 303);
  });

  // -------------------------------------------------------------------------------------------------
  // Hazards: 挂牌督办

  async function leadersOf(tenantId: number) {
    const members = await membersOf(db, tenantId);
    return (await holdersAtLevel(db, tenantId, ['first', 'direct'])).map((person) => {
      const member = members.find((candidate) => candidate.id === person.id);
      return {
        person,
        choice: { value: String(person.id), label: member ? memberLabel(member) : person.name },
      };
    });
  }

  async function hazardsBody(viewer: Viewer, values?: ListFormValues, error?: string) {
    const { tenant } = viewer;
    const rows = await db
      .select({
        id: hazards.id,
        code: hazards.code,
        description: hazards.description,
        status: hazards.status,
        severity: hazards.severity,
        unitName: units.name,
        deadline: hazards.deadline,
        listed: hazards.listed,
        listedMatter: hazards.listedMatter,
        listedDeadline: hazards.listedDeadline,
        listedById: hazards.listedById,
        listedByAccountId: hazards.listedByAccountId,
        listedByName: lister.name,
      })
      .from(hazards)
      .leftJoin(units, eq(units.id, hazards.unitId))
      .leftJoin(lister, eq(lister.id, hazards.listedById))
      .where(and(eq(hazards.tenantId, tenant.id), notInArray(hazards.status, ['closed', 'rejected'])))
      .orderBy(asc(hazards.id));
    const accounts = await accountLabels(
      db,
      rows.map((row) => row.listedByAccountId),
    );
    const items: OpenHazard[] = rows.map(({ listedById, listedByAccountId, listedByName, ...row }) => ({
      ...row,
      listedBy: listedByName ?? accounts.get(listedByAccountId ?? 0) ?? null,
    }));
    return hazardsPage({
      csrf: viewer.session.csrf,
      timeZone: tenant.timezone,
      now: clock(),
      items,
      leaders: viewer.account ? [] : (await leadersOf(tenant.id)).map((leader) => leader.choice),
      actingAs: viewer.account && accountLabel(viewer.account),
      values,
      error,
    });
  }

  app.get('/console/hazards', async (c) => {
    const resolved = await kit.viewerFor(c);
    if (resolved instanceof Response) return resolved;
    const { viewer, key } = resolved;
    return kit.page(
      c,
      200,
      await kit.frameOf(viewer, { title: '隐患督办', active: 'hazards', flash: takeFlash(c, key) }),
      await hazardsBody(viewer),
    );
  });

  app.post('/console/hazards/list', kit.limit, async (c) => {
    const posted = await kit.postFor(c);
    if (posted instanceof Response) return posted;
    const { viewer, key, form } = posted;
    const { tenant } = viewer;
    const values: ListFormValues = {
      hazard: text(form.hazard).trim().slice(0, 20),
      actor: text(form.actor).trim().slice(0, 20),
      matter: text(form.matter).slice(0, MAX_MATTER * 2),
      deadline: text(form.deadline).trim().slice(0, 40),
    };
    const again = async (error: string) =>
      kit.page(
        c,
        400,
        await kit.frameOf(viewer, { title: '隐患督办', active: 'hazards' }),
        await hazardsBody(viewer, values, error),
      );
    const now = clock();
    const hazardId = rowId(values.hazard);
    if (hazardId === undefined) return again('请选择要挂牌督办的隐患。');
    // Outside demo mode the office's account lists in its own name (DOMAIN §8), acting as nobody else.
    let acting: Acting;
    if (viewer.account) acting = { account: viewer.account };
    else {
      if (!values.actor)
        return again('请选择督办人：以哪位学校领导（第一责任人、直接责任人）的名义挂牌督办。');
      const actor = await memberById(db, tenant.id, Number(values.actor));
      if (!actor) return again('所选督办人不是本单位的成员。');
      acting = { actor };
    }
    const matter = values.matter.replace(/\s+/g, ' ').trim();
    if (!matter) return again('请填写督办事项。');
    if ([...matter].length > MAX_MATTER) return again(`督办事项太长：最多 ${MAX_MATTER} 字。`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.deadline)) {
      return again(`督办期限“${values.deadline}”无效：请选择日期，如 2026-12-31。`);
    }
    const today = isoDateIn(now, tenant.timezone);
    if (values.deadline < today) return again(`督办期限 ${values.deadline} 已过：不能早于今天（${today}）。`);
    let toast: string;
    try {
      ({ result: toast } = await actAs(db, { ...acting, tenant, now, channels: kit.channels }, (ctx) =>
        listHazard(ctx, hazardId, { matter, deadline: values.deadline }),
      ));
    } catch (error) {
      if (error instanceof Refusal) return again(error.userMessage);
      throw error;
    }
    kit.onOutbox?.();
    log.info('console hazard listed', {
      tenant: tenant.code,
      admin: who(viewer),
      person: acting.actor?.id,
      hazard: hazardId,
    });
    setFlash(c, key, { kind: 'success', text: toast + inTheNameOf(acting) });
    return c.redirect('/console/hazards', 303);
  });
}
