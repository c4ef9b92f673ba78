// Hazards (DOMAIN §4): 报隐患 from any chat, routing by the tenant's category table, and every step of
// 排查 → 记录 → 整改 → 复查 → 销号 as a button and as a text command. Who may take a step is decided by
// handlers/hazard-workflow.ts against the organization; every step is appended to the audit trail.

import { and, asc, eq, inArray, isNull, ne } from 'drizzle-orm';
import {
  type Acting,
  type ActionContext,
  type Context,
  type MessageContext,
  trailActor,
} from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import type { ActionResult, Attachment, Channel, MessageEvent } from '../bot/core/types.ts';
import {
  type HazardAudience,
  hazardCard,
  hazardReminderCard,
  hazardRenderer,
  hazardSubject,
  listingConflict,
} from '../cards/hazard.ts';
import { actions, button, card, fields, note, text } from '../cards/model.ts';
import {
  extensionApprovers,
  hazardHandlers,
  hazardRoles,
  holdersAtLevel,
} from '../db/queries/hazard-roles.ts';
import {
  appendHazardEvent,
  categoryRules,
  type Hazard,
  hazardByCode,
  hazardView,
  latestRectificationBy,
  latestReportInChat,
  nextSequence,
  openHazardsOfCategory,
} from '../db/queries/hazards.ts';
import { rowId } from '../db/queries/ids.ts';
import { officeStaff, type Person, personById } from '../db/queries/org.ts';
import { claimReminder } from '../db/queries/reminders.ts';
import { hazardExtensions, hazardPhotos, hazards, reportOffers } from '../db/schema.ts';
import { membersNamed, mentionedMember, withUnits } from './colleagues.ts';
import { computeDeadline, parseDateInput, pastDeadline, withEstimate, workCalendar } from './deadlines.ts';
import {
  type CategoryRule,
  hazardCode,
  hazardCodeIn,
  inferCategory,
  parseReport,
  parseSeverity,
  readsLikeHazard,
  SEVERITY_LABEL,
  type Severity,
  STATUS_LABEL,
  samePlace,
} from './hazard-rules.ts';
import { ACTION_LABEL, decide, type HazardAction, type HazardRole, ROLE_NEEDED } from './hazard-workflow.ts';
import { tenantSettings } from './settings.ts';
import { capped, TEXT_LIMITS } from './text-limits.ts';
import { formatDateTime, yearIn } from './time.ts';

/** Photos sent within this time after a report, in the same chat by the same person, attach to it. */
const PHOTO_WINDOW_MS = 10 * 60 * 1000;

/**
 * What a step needs of its context: no chat event (the console takes steps too), and who acts: a member,
 * or the office's console account in its own name (issue 14).
 */
export type StepContext = Pick<Context, 'db' | 'tenant' | 'now' | 'send' | 'refresh'> & Acting;

// ---------------------------------------------------------------------------------------------------
// Reporting

/** Where a report came from: the chat that its answers and follow-up photos belong to. */
export interface ReportSource {
  channel: Channel;
  chatId: string;
  messageId?: string;
  attachments: Attachment[];
}

const sourceOf = (event: MessageEvent): ReportSource => ({
  channel: event.channel,
  chatId: event.chat.id,
  messageId: event.messageId,
  attachments: event.attachments,
});

export async function reportHazard(ctx: MessageContext): Promise<void> {
  await fileReport(ctx, sourceOf(ctx.event), ctx.args);
}

/**
 * Records a report (报隐患, or a hazard-like text the reporter confirmed), answers in its chat with the
 * hazard card, asks the reporter for what is missing, tells the unit head, and says when it looks like an
 * open hazard already reported.
 */
async function fileReport(ctx: Context, source: ReportSource, text: string): Promise<Hazard> {
  const report = parseReport(text);
  if (!report.description) {
    throw new Refusal('请在“报隐患”后写明隐患情况，例如：报隐患 教学楼三楼东侧灭火器过期，一般');
  }
  capped(report.description, TEXT_LIMITS.description, '隐患情况');
  if (report.place) capped(report.place, TEXT_LIMITS.place, '地点');
  if (report.category) capped(report.category, TEXT_LIMITS.category, '类别');
  const { tenant, actor, db } = ctx;
  const rules = await categoryRules(db, tenant.id);
  const route = routeOf(report.category, report.description, rules);
  const unitId = route?.unitId ?? tenant.officeUnitId;
  const year = yearIn(ctx.now, tenant.timezone);
  const sequence = await nextSequence(db, tenant.id, `hazard:${year}`);
  const similar = await similarOpenHazard(ctx, {
    categoryId: route?.categoryId ?? null,
    place: report.place ?? null,
    description: report.description,
  });
  const [inserted] = await db
    .insert(hazards)
    .values({
      tenantId: tenant.id,
      code: hazardCode(year, sequence),
      description: report.description,
      place: report.place ?? null,
      severity: report.severity ?? null,
      categoryId: route?.categoryId ?? null,
      reporterId: actor.id,
      sourceChannel: source.channel,
      sourceChatId: source.chatId,
      unitId,
      similarToId: similar?.id ?? null,
      createdAt: ctx.now,
      updatedAt: ctx.now,
    })
    .returning();
  const hazard = inserted!;
  await appendHazardEvent(db, {
    tenantId: tenant.id,
    hazardId: hazard.id,
    actorId: actor.id,
    action: 'report',
    toStatus: 'reported',
    note: [
      route ? `按“${route.matched.join('、')}”归类` : '未识别类别，转安全办公室',
      similar && `可能与 ${similar.code} 重复`,
    ]
      .filter(Boolean)
      .join('；'),
    at: ctx.now,
  });
  await attachPhotos(ctx, source, hazard.id);

  const view = (await hazardView(db, tenant.id, hazard.id))!;
  const subject = hazardSubject(hazard.id);
  ctx.reply(
    { kind: 'card', card: hazardCard(view, tenant.timezone, 'public', ctx.now) },
    { subject, view: 'public' },
  );
  if (similar) ctx.reply({ kind: 'text', text: likelyDuplicate(hazard, similar) });
  if (!hazard.severity || !hazard.place || !hazard.categoryId) {
    // Ask, do not guess: the reporter completes what the text did not say.
    ctx.send({
      to: { kind: 'person', personId: actor.id },
      body: { kind: 'card', card: hazardCard(view, tenant.timezone, 'complete', ctx.now) },
      subject,
      view: 'complete',
    });
  }
  const handlers = await handlersOf(ctx, hazard);
  notify(ctx, handlers, hazard, view, 'handler');
  if (handlers.length === 0) {
    ctx.reply({
      kind: 'text',
      text: `注意：${view.unitName ?? '安全办公室'}暂无登记的负责人，请管理员补充组织信息。`,
    });
  }
  if (hazard.severity === 'grave') await tellLeadersOfGrave(ctx, hazard);
  return hazard;
}

/** What the reporter is told when the report looks like an open one. */
const likelyDuplicate = (hazard: Hazard, similar: Hazard) =>
  `提示：${hazard.code} 可能与 ${similar.code}（${brief(similar.description)}，${STATUS_LABEL[similar.status]}）重复，已请责任处室负责人核对。如为同一隐患，无需再报。`;

/** A description cut to a glance. */
const brief = (description: string) =>
  Array.from(description).length > 20 ? `${Array.from(description).slice(0, 20).join('')}…` : description;

/** How far back an open hazard counts as the same one reported again. */
const DUPLICATE_WINDOW_MS = 7 * 24 * 3600 * 1000;

type Report = Pick<Hazard, 'categoryId' | 'place' | 'description'> & { id?: number };

/**
 * An open hazard of the same category, reported within 7 days, at the same place (`samePlace`): the
 * newest such, or none. A hint for the unit head, who decides.
 */
async function similarOpenHazard(ctx: StepContext, report: Report): Promise<Hazard | undefined> {
  if (!report.categoryId) return undefined;
  const where = (of: Report) => `${of.place ?? ''} ${of.description}`;
  const candidates = await openHazardsOfCategory(
    ctx.db,
    ctx.tenant.id,
    report.categoryId,
    new Date(ctx.now.getTime() - DUPLICATE_WINDOW_MS),
  );
  return candidates.find((other) => other.id !== report.id && samePlace(where(report), where(other)));
}

function routeOf(named: string | undefined, description: string, rules: CategoryRule[]) {
  if (named) {
    const rule = rules.find((candidate) => candidate.name.includes(named) || named.includes(candidate.name));
    if (rule) {
      return (
        inferCategory(description, [rule]) ?? {
          categoryId: rule.id,
          unitId: rule.routes[0]!.unitId,
          matched: [named],
        }
      );
    }
  }
  return inferCategory(description, rules);
}

/** The heads of the responsible unit, or the office when the unit has none. */
const handlersOf = (ctx: StepContext, hazard: Hazard): Promise<Person[]> => hazardHandlers(ctx.db, hazard);

/** Sends a hazard card to people (once each), as the given audience. */
function notify(
  ctx: StepContext,
  people: Person[],
  hazard: Hazard,
  view: NonNullable<Awaited<ReturnType<typeof hazardView>>>,
  audience: HazardAudience,
) {
  const seen = new Set<number>();
  for (const person of people) {
    if (seen.has(person.id)) continue;
    seen.add(person.id);
    ctx.send({
      to: { kind: 'person', personId: person.id },
      body: { kind: 'card', card: hazardCard(view, ctx.tenant.timezone, audience, ctx.now) },
      subject: hazardSubject(hazard.id),
      view: audience,
    });
  }
}

/** A grave hazard goes to the 第一责任人 and the office at once (001 §三.2), once per hazard. */
async function tellLeadersOfGrave(ctx: StepContext, hazard: Hazard) {
  const people = [
    ...(await holdersAtLevel(ctx.db, ctx.tenant.id, ['first'])),
    ...(await officeStaff(ctx.db, ctx.tenant.id)),
  ];
  const fresh: Person[] = [];
  for (const person of people) {
    const key = {
      tenantId: ctx.tenant.id,
      subject: hazardSubject(hazard.id),
      period: 'grave',
      step: 'grave-notice',
    };
    if (await claimReminder(ctx.db, { ...key, personId: person.id }, ctx.now)) fresh.push(person);
  }
  const view = (await hazardView(ctx.db, ctx.tenant.id, hazard.id))!;
  notify(ctx, fresh, hazard, view, 'leader');
}

/**
 * Photos in a message of their own attach to the sender's report just before them, or, from the person
 * who just submitted a rectification, to that rectification as its evidence (DOMAIN §4).
 */
export async function attachFollowUpPhotos(ctx: MessageContext): Promise<void> {
  const { event } = ctx;
  const since = new Date(ctx.now.getTime() - PHOTO_WINDOW_MS);
  const rectified = await latestRectificationBy(ctx.db, ctx.tenant.id, ctx.actor.id, since);
  const reported = await latestReportInChat(ctx.db, ctx.tenant.id, ctx.actor.id, event.chat.id, since);
  if (rectified && (!reported || rectified.rectifiedAt! > reported.createdAt)) {
    const count = await attachPhotos(ctx, sourceOf(event), rectified.id);
    await appendHazardEvent(ctx.db, {
      tenantId: ctx.tenant.id,
      hazardId: rectified.id,
      actorId: ctx.actor.id,
      action: 'evidence',
      note: `整改照片 ${count} 张`,
      evidence: { photos: ctx.event.attachments.map((attachment) => attachment.key), channel: event.channel },
      at: ctx.now,
    });
    ctx.reply({ kind: 'text', text: `已将 ${count} 张照片作为整改证据附到隐患 ${rectified.code}。` });
    await refresh(ctx, rectified.id);
    return;
  }
  const hazard = reported;
  if (!hazard) {
    // In a group, photos not following a report are not addressed to the bot.
    if (event.chat.type === 'p2p') {
      ctx.reply({
        kind: 'text',
        text: '收到照片。如需上报隐患，请先发送“报隐患 <隐患情况>”，再在 10 分钟内补发照片。',
      });
    }
    return;
  }
  const count = await attachPhotos(ctx, sourceOf(event), hazard.id);
  ctx.reply({ kind: 'text', text: `已将 ${count} 张照片附到隐患 ${hazard.code}。` });
  await refresh(ctx, hazard.id);
}

async function attachPhotos(
  ctx: Pick<Context, 'db' | 'tenant' | 'now' | 'actor'>,
  source: ReportSource,
  hazardId: number,
): Promise<number> {
  const images = source.attachments.filter((attachment) => attachment.kind === 'image');
  if (images.length === 0) return 0;
  await ctx.db.insert(hazardPhotos).values(
    images.map((image) => ({
      tenantId: ctx.tenant.id,
      hazardId,
      channel: source.channel,
      fileKey: image.key,
      messageId: source.messageId ?? null,
      addedById: ctx.actor.id,
      createdAt: ctx.now,
    })),
  );
  return images.length;
}

async function refresh(ctx: StepContext, hazardId: number) {
  const view = (await hazardView(ctx.db, ctx.tenant.id, hazardId))!;
  ctx.refresh(hazardSubject(hazardId), hazardRenderer(view, ctx.tenant.timezone, ctx.now));
  return view;
}

// ---------------------------------------------------------------------------------------------------
// The steps of the workflow

/** What a step needs besides the hazard: typed in a form, or written after a text command. */
export interface StepInput {
  reason?: string;
  measures?: string;
  days?: string;
  decision?: 'approve' | 'deny';
  severity?: string;
  place?: string;
  category?: string;
  matter?: string;
  /** 受理: the deadline chosen (no later than the severity's), or 挂牌督办: the listing's deadline. */
  deadline?: string;
  /** 受理: 临时管控措施, required for a 重大 hazard. */
  interim?: string;
  rectifier?: Person;
  /** The hazard this one repeats (标记为重复). */
  duplicateOf?: Hazard;
}

const need = (value: string | undefined, what: string, command: string, max?: number): string => {
  const trimmed = value?.trim();
  if (!trimmed) throw new Refusal(`请写明${what}。按钮不便时可发送：${command}`);
  return max === undefined ? trimmed : capped(trimmed, max, what);
};

/** Takes one step on a hazard for the actor, or refuses with the reason; returns the toast text. */
async function step(
  ctx: StepContext,
  hazard: Hazard,
  action: HazardAction,
  input: StepInput,
): Promise<string> {
  const { db, tenant, now } = ctx;
  const isReporter = hazard.reporterId === ctx.actor?.id;
  const roles = ctx.actor ? await hazardRoles(db, hazard, ctx.actor.id) : OFFICE_ACCOUNT_ROLES;
  const verdict =
    action === 'complete' && isReporter && !['closed', 'rejected'].includes(hazard.status)
      ? ({ ok: true, to: undefined } as const)
      : decide(action, hazard.status, roles, {
          actorId: ctx.actor?.id ?? 0,
          rectifierId: hazard.rectifierId,
          rectifiedById: hazard.rectifiedById,
        });
  if (!verdict.ok) {
    if (verdict.why === 'state') {
      throw new Refusal(`${hazard.code} 当前状态为“${statusName(hazard)}”，不能${ACTION_LABEL[action]}。`);
    }
    if (verdict.why === 'own-rectification') {
      throw new Refusal(`不能复查自己负责或提交的整改，${hazard.code} 需由他人复查。`);
    }
    const unit = hazard.unitId ? (await hazardView(db, tenant.id, hazard.id))?.unitName : undefined;
    const who = unit ? ROLE_NEEDED[action].replace('责任处室', unit) : ROLE_NEEDED[action];
    throw new Refusal(`只有${who}可以${ACTION_LABEL[action]}隐患 ${hazard.code}。`);
  }
  // The office's account holds no role but 挂牌督办 (RULES.list): every other step is a member's.
  const member = (): Person => {
    if (!ctx.actor) throw new Error(`hazard step ${action} without a member`);
    return ctx.actor;
  };
  const code = hazard.code;
  const settings = tenantSettings(tenant.settings);
  const changes: Partial<typeof hazards.$inferInsert> = { updatedAt: now };
  let note: string | undefined;
  let toast: string;
  const after: ((fresh: Hazard) => Promise<void>)[] = [];

  switch (action) {
    case 'accept': {
      const severity: Severity = hazard.severity ?? 'general';
      const usage = `受理 ${code} 措施 <临时管控措施> 期限 <日期>`;
      const interim = input.interim?.trim()
        ? capped(input.interim.trim(), TEXT_LIMITS.measures, '临时管控措施')
        : severity === 'grave'
          ? need(undefined, '重大隐患的临时管控措施（整改完成前如何防范，如：设置围挡、专人值守）', usage)
          : undefined;
      const { at: standard, estimated } = computeDeadline(
        now,
        settings.hazard_deadlines[severity],
        tenant.timezone,
        workCalendar(settings.calendar),
      );
      let deadline = standard;
      if (input.deadline?.trim()) {
        const chosen = parseDateInput(input.deadline, tenant.timezone, now);
        if (!chosen) throw new Refusal('整改期限请写成日期，如 2026-12-31 或 12月31日。');
        const past = pastDeadline('整改期限', chosen, now, tenant.timezone);
        if (past) throw new Refusal(past);
        if (chosen > standard) {
          throw new Refusal(
            `整改期限不能晚于${SEVERITY_LABEL[severity]}隐患的规定期限 ${formatDateTime(standard, tenant.timezone)}；需要更长时间请受理后申请延期。`,
          );
        }
        deadline = chosen;
      }
      Object.assign(changes, {
        acceptedById: member().id,
        acceptedAt: now,
        rectifierId: hazard.rectifierId ?? member().id,
        deadline,
        // A date typed by the head is theirs, not an estimate.
        deadlineEstimated: deadline === standard && estimated,
        interimMeasures: interim ?? null,
      });
      const shown = withEstimate(
        formatDateTime(deadline, tenant.timezone),
        deadline === standard && estimated,
      );
      note = [
        `整改期限 ${shown}${deadline < standard ? `（提前于规定期限 ${formatDateTime(standard, tenant.timezone)}）` : ''}${hazard.severity ? '' : '（严重程度未注明，按一般隐患计）'}`,
        interim && `临时管控措施：${interim}`,
      ]
        .filter(Boolean)
        .join('；');
      toast = `已受理 ${code}，整改期限 ${shown}`;
      break;
    }
    case 'reject': {
      const reason = need(input.reason, '驳回原因', `驳回 ${code} <原因>`, TEXT_LIMITS.reason);
      Object.assign(changes, { rejectReason: reason, listed: false });
      note = reason;
      toast = `已驳回 ${code}`;
      after.push(async () => tell(ctx, hazard.reporterId, `您上报的隐患 ${code} 已被驳回：${reason}`));
      break;
    }
    case 'assign': {
      if (!input.rectifier) throw new Refusal(`请指明整改人（姓名或人员编号），例如：指派 ${code} @张三`);
      Object.assign(changes, { rectifierId: input.rectifier.id });
      note = `整改人：${input.rectifier.name}`;
      toast = `已指派 ${input.rectifier.name} 整改 ${code}`;
      after.push(async (fresh) => {
        const view = (await hazardView(db, tenant.id, fresh.id))!;
        notify(ctx, [input.rectifier!], fresh, view, 'rectifier');
      });
      break;
    }
    case 'submit': {
      const measures = need(input.measures, '整改措施', `整改完成 ${code} <措施>`, TEXT_LIMITS.measures);
      Object.assign(changes, { measures, rectifiedById: member().id, rectifiedAt: now });
      note = measures;
      toast = `已提交 ${code} 的整改，等待复查`;
      after.push(async (fresh) => {
        const inspectors = (await officeStaff(db, tenant.id)).filter(
          (person) => person.id !== member().id && person.id !== fresh.rectifierId,
        );
        const view = (await hazardView(db, tenant.id, fresh.id))!;
        notify(ctx, inspectors, fresh, view, 'reviewer');
      });
      break;
    }
    case 'pass': {
      Object.assign(changes, { reviewedById: member().id, reviewedAt: now, closedAt: now });
      toast = `${code} 复查通过，已销号`;
      after.push(async () =>
        tell(ctx, hazard.reporterId, `您上报的隐患 ${code} 已整改完毕，复查通过并销号。谢谢！`),
      );
      break;
    }
    case 'fail': {
      const reason = need(input.reason, '不通过的原因', `复查不通过 ${code} <原因>`, TEXT_LIMITS.reason);
      Object.assign(changes, { reviewedById: member().id, reviewedAt: now });
      note = reason;
      toast = `${code} 复查不通过，已退回整改`;
      after.push(async (fresh) => {
        if (fresh.rectifierId)
          await tell(ctx, fresh.rectifierId, `隐患 ${code} 复查不通过，请继续整改：${reason}`);
      });
      break;
    }
    case 'requestExtension': {
      const days = Number(need(input.days, '延期天数', `申请延期 ${code} <天数> <原因>`));
      if (!Number.isInteger(days) || days < 1 || days > 90)
        throw new Refusal('延期天数应为 1 到 90 的整数。');
      const reason = need(input.reason, '延期原因', `申请延期 ${code} <天数> <原因>`, TEXT_LIMITS.reason);
      const base = hazard.deadline && hazard.deadline > now ? hazard.deadline : now;
      const spec = settings.hazard_deadlines[hazard.severity ?? 'general'];
      const { at: newDeadline, estimated } = computeDeadline(
        base,
        { days, unit: spec.unit },
        tenant.timezone,
        workCalendar(settings.calendar),
      );
      const [pending] = await db
        .select({ id: hazardExtensions.id })
        .from(hazardExtensions)
        .where(and(eq(hazardExtensions.hazardId, hazard.id), eq(hazardExtensions.status, 'pending')));
      if (pending) throw new Refusal(`${code} 已有一个延期申请在等待审批。`);
      await db.insert(hazardExtensions).values({
        tenantId: tenant.id,
        hazardId: hazard.id,
        requestedById: member().id,
        reason,
        days,
        newDeadline,
        newDeadlineEstimated: estimated,
        createdAt: now,
      });
      note = `申请延期 ${days} 天：${reason}`;
      toast = `已提交延期申请，等待分管领导审批`;
      const conflict = listingConflict(hazard, newDeadline, tenant.timezone);
      const passes = conflict && `申请的延期将超过督办期限：${conflict}`;
      if (passes) toast += `；注意：${passes}`;
      after.push(async (fresh) => {
        const view = (await hazardView(db, tenant.id, fresh.id))!;
        notify(ctx, await extensionApprovers(db, fresh), fresh, view, 'approver');
        const [request] = await db
          .select({ id: hazardExtensions.id })
          .from(hazardExtensions)
          .where(and(eq(hazardExtensions.hazardId, fresh.id), eq(hazardExtensions.status, 'pending')));
        if (passes) await tellLister(ctx, fresh, `extension:${request!.id}`, passes);
      });
      break;
    }
    case 'decideExtension': {
      const [pending] = await db
        .select()
        .from(hazardExtensions)
        .where(and(eq(hazardExtensions.hazardId, hazard.id), eq(hazardExtensions.status, 'pending')));
      if (!pending) throw new Refusal(`${code} 没有待审批的延期申请。`);
      const approve = input.decision === 'approve';
      await db
        .update(hazardExtensions)
        .set({ status: approve ? 'approved' : 'denied', decidedById: member().id, decidedAt: now })
        .where(eq(hazardExtensions.id, pending.id));
      if (approve) {
        changes.deadline = pending.newDeadline;
        changes.deadlineEstimated = pending.newDeadlineEstimated;
      }
      const extended = withEstimate(
        formatDateTime(pending.newDeadline, tenant.timezone),
        pending.newDeadlineEstimated,
      );
      note = approve ? `批准延期至 ${extended}` : '不批准延期';
      toast = approve ? `已批准 ${code} 延期` : `已不批准 ${code} 延期`;
      after.push(async () =>
        tell(
          ctx,
          pending.requestedById,
          `隐患 ${code} 的延期申请${approve ? `已批准，新期限 ${extended}` : '未获批准，请按原期限整改'}。`,
        ),
      );
      break;
    }
    case 'list': {
      const matter = need(
        input.matter,
        '督办事项',
        `挂牌督办 ${code} <事项> 截止 <日期>`,
        TEXT_LIMITS.matter,
      );
      const date = parseDateInput(
        need(input.deadline, '督办期限', `挂牌督办 ${code} <事项> 截止 <日期>`),
        tenant.timezone,
        now,
      );
      if (!date) throw new Refusal('督办期限请写成日期，如 2026-12-31 或 12月31日。');
      const past = pastDeadline('督办期限', date, now, tenant.timezone);
      if (past) throw new Refusal(past);
      Object.assign(changes, {
        listed: true,
        listedMatter: matter,
        listedUnitId: hazard.listedUnitId ?? hazard.unitId,
        listedDeadline: date,
        listedById: ctx.actor?.id ?? null,
        listedByAccountId: ctx.account?.id ?? null,
        listedAt: now,
      });
      note = `${matter}，期限 ${formatDateTime(date, tenant.timezone)}`;
      toast = `${code} 已挂牌督办`;
      after.push(async (fresh) => {
        const view = (await hazardView(db, tenant.id, fresh.id))!;
        notify(ctx, await handlersOf(ctx, fresh), fresh, view, 'handler');
      });
      break;
    }
    case 'duplicate': {
      const original = input.duplicateOf;
      if (!original) throw new Refusal(`请写明与哪条隐患重复，例如：驳回 ${code} 与 YH-… 重复`);
      if (original.id === hazard.id) throw new Refusal('不能把一条隐患标记为与自己重复。');
      // Both rows are locked, in id order, before either is written, and the original is checked again
      // under the lock: two heads merging two reports into each other at the same moment then queue on
      // the same row instead of each holding the other's (a deadlock on PostgreSQL), and the second finds
      // the first merge done rather than leaving both merged (and neither counted).
      await db
        .select({ id: hazards.id })
        .from(hazards)
        .where(inArray(hazards.id, [hazard.id, original.id]))
        .orderBy(asc(hazards.id))
        .for('update');
      const [open] = await db
        .select({ id: hazards.id })
        .from(hazards)
        .where(
          and(eq(hazards.id, original.id), isNull(hazards.duplicateOfId), ne(hazards.status, 'rejected')),
        );
      if (!open) throw new Refusal(`${original.code} 已被驳回或本身是重复上报，请标记为与原隐患重复。`);
      Object.assign(changes, {
        duplicateOfId: original.id,
        rejectReason: `与 ${original.code} 重复`,
        listed: false,
      });
      note = `与 ${original.code} 重复，已并入`;
      toast = `已将 ${code} 标记为与 ${original.code} 重复`;
      after.push(async () => {
        // The evidence stays with the hazard that is followed up.
        const photos = await db.select().from(hazardPhotos).where(eq(hazardPhotos.hazardId, hazard.id));
        if (photos.length > 0) {
          await db
            .insert(hazardPhotos)
            .values(photos.map(({ id: _id, ...photo }) => ({ ...photo, hazardId: original.id })));
        }
        await appendHazardEvent(db, {
          tenantId: tenant.id,
          hazardId: original.id,
          ...trailActor(ctx),
          action: 'duplicate-merged',
          note: `重复上报 ${code} 已并入${photos.length > 0 ? `（照片 ${photos.length} 张）` : ''}`,
          at: now,
        });
        await tell(
          ctx,
          hazard.reporterId,
          `您上报的隐患 ${code} 与 ${original.code} 为同一隐患，已并入 ${original.code} 跟踪整改。谢谢！`,
        );
        await refresh(ctx, original.id);
      });
      break;
    }
    case 'complete': {
      const severity = input.severity ? parseSeverity(input.severity) : undefined;
      if (input.severity && !severity) throw new Refusal('严重程度请选择：一般、较大或重大。');
      const place = input.place?.trim() ? capped(input.place.trim(), TEXT_LIMITS.place, '地点') : undefined;
      let route: ReturnType<typeof routeOf>;
      if (input.category?.trim()) {
        capped(input.category.trim(), TEXT_LIMITS.category, '类别');
        route = routeOf(input.category.trim(), hazard.description, await categoryRules(db, tenant.id));
        if (!route) throw new Refusal(`没有找到类别“${input.category.trim()}”。`);
      }
      if (!severity && !place && !route)
        throw new Refusal(`请补充地点、严重程度或类别，例如：补充 ${code} 地点 教学楼三楼 程度 一般`);
      if (severity) changes.severity = severity;
      if (place) changes.place = place;
      if (route && route.categoryId !== hazard.categoryId) {
        changes.categoryId = route.categoryId;
        if (hazard.status === 'reported') changes.unitId = route.unitId;
      }
      note = [
        severity && `严重程度：${SEVERITY_LABEL[severity]}`,
        place && `地点：${place}`,
        route && '类别已补充',
      ]
        .filter(Boolean)
        .join('；');
      toast = `已补充 ${code}`;
      after.push(async (fresh) => {
        // A place or category given now may show it is a report already open.
        if (fresh.status === 'reported' && fresh.similarToId === null && (place || route)) {
          const similar = await similarOpenHazard(ctx, fresh);
          if (similar) {
            await db.update(hazards).set({ similarToId: similar.id }).where(eq(hazards.id, fresh.id));
            Object.assign(fresh, { similarToId: similar.id });
            tell(ctx, fresh.reporterId, likelyDuplicate(fresh, similar));
          }
        }
        if (fresh.unitId !== hazard.unitId) {
          const view = (await hazardView(db, tenant.id, fresh.id))!;
          notify(ctx, await handlersOf(ctx, fresh), fresh, view, 'handler');
        }
        if (fresh.severity === 'grave') await tellLeadersOfGrave(ctx, fresh);
      });
      break;
    }
  }

  const to = verdict.to;
  const [fresh] = await db
    .update(hazards)
    .set({ ...changes, ...(to ? { status: to } : {}) })
    .where(and(eq(hazards.id, hazard.id), eq(hazards.status, hazard.status)))
    .returning();
  if (!fresh) throw new Refusal(`${code} 刚刚已被他人处理，请查看最新状态。`);
  await appendHazardEvent(db, {
    tenantId: tenant.id,
    hazardId: hazard.id,
    ...trailActor(ctx),
    action,
    fromStatus: hazard.status,
    toStatus: fresh.status,
    note: note ?? null,
    evidence: action === 'submit' ? { measures: input.measures } : null,
    at: now,
  });
  for (const task of after) await task(fresh);
  const conflict =
    (action === 'accept' || action === 'list' || action === 'decideExtension') &&
    listingConflict(fresh, fresh.deadline, tenant.timezone);
  if (conflict) {
    toast += `；注意：${conflict}`;
    await tellLister(
      ctx,
      fresh,
      `${fresh.listedDeadline!.toISOString()}|${fresh.deadline!.toISOString()}`,
      conflict,
    );
  }
  await refresh(ctx, hazard.id);
  return toast;
}

/** What the office's console account is to any hazard of its tenant. */
const OFFICE_ACCOUNT_ROLES: ReadonlySet<HazardRole> = new Set(['officeAccount']);

/**
 * Tells the leader who listed a hazard (the office when nobody is on record) that its 督办期限 comes before
 * the rectification deadline; once per listing and deadline (or extension request), and not the leader
 * whose own step it is: their answer says it.
 */
async function tellLister(ctx: StepContext, hazard: Hazard, period: string, conflict: string) {
  const lister = hazard.listedById && (await personById(ctx.db, ctx.tenant.id, hazard.listedById));
  const listers = hazard.listedById ? (lister ? [lister] : []) : await officeStaff(ctx.db, ctx.tenant.id);
  const view = (await hazardView(ctx.db, ctx.tenant.id, hazard.id))!;
  const message = `您挂牌督办的隐患 ${hazard.code}：${conflict}，请调整督办期限或督促按督办期限完成整改。`;
  for (const person of listers) {
    if (person.id === ctx.actor?.id) continue;
    const key = {
      tenantId: ctx.tenant.id,
      subject: hazardSubject(hazard.id),
      period,
      step: 'listing-conflict',
    };
    if (!(await claimReminder(ctx.db, { ...key, personId: person.id }, ctx.now))) continue;
    // Not tied to the hazard's subject: a refresh would re-render it without its message (a listed
    // hazard's card has no buttons for a leader, so nothing on it goes stale).
    ctx.send({
      to: { kind: 'person', personId: person.id },
      body: { kind: 'card', card: hazardReminderCard(view, ctx.tenant.timezone, 'leader', ctx.now, message) },
    });
  }
}

const statusName = (hazard: Hazard) =>
  ({
    reported: '已上报',
    accepted: '已受理',
    rectifying: '整改中',
    pending_review: '待复查',
    closed: '已销号',
    rejected: '已驳回',
  })[hazard.status];

function tell(ctx: StepContext, personId: number, text: string) {
  ctx.send({ to: { kind: 'person', personId }, body: { kind: 'text', text } });
}

/**
 * 挂牌督办 taken elsewhere than in a chat (the console: the office's account in its own name, or in demo
 * mode a chosen leader): the very step of the button and of the command `挂牌督办 YH-… <事项> 截止 <日期>`;
 * refuses as they do.
 */
export async function listHazard(
  ctx: StepContext,
  hazardId: number,
  input: { matter: string; deadline: string },
): Promise<string> {
  const [hazard] = await ctx.db
    .select()
    .from(hazards)
    .where(and(eq(hazards.tenantId, ctx.tenant.id), eq(hazards.id, hazardId)));
  if (!hazard) throw new Refusal('找不到这条隐患，可能已被删除。');
  return step(ctx, hazard, 'list', { matter: input.matter, deadline: input.deadline });
}

// ---------------------------------------------------------------------------------------------------
// Buttons

async function hazardOfAction(ctx: ActionContext): Promise<Hazard> {
  return hazardOfId(ctx, rowId(ctx.event.args.id));
}

async function hazardOfId(ctx: StepContext, id: number | undefined): Promise<Hazard> {
  const [hazard] = id
    ? await ctx.db
        .select()
        .from(hazards)
        .where(and(eq(hazards.tenantId, ctx.tenant.id), eq(hazards.id, id)))
    : [];
  if (!hazard) throw new Refusal('找不到这条隐患，可能已被删除。');
  return hazard;
}

/**
 * The rectifier a 指派 names by typing (`张三`, `@张三`, or a person code): one member, or, when several
 * share the name, a card to choose from is sent to the actor and 'choice' returned. Refuses when nobody
 * matches; an empty name is left to the step, which asks for one.
 */
async function rectifierNamed(
  ctx: Pick<Context, 'db' | 'tenant' | 'actor' | 'reply'>,
  hazard: Hazard,
  typed: string | undefined,
): Promise<Person | 'choice' | undefined> {
  const word = typed?.trim().replace(/^@\s*/, '').split(/\s+/)[0];
  if (!word) return undefined;
  capped(word, TEXT_LIMITS.place, '整改人');
  const matches = await membersNamed(ctx.db, ctx.tenant.id, word);
  if (matches.length === 0) {
    throw new Refusal(
      `本单位人员名单上没有“${word}”，请写整改人的姓名或人员编号，例如：指派 ${hazard.code} @张三`,
    );
  }
  if (matches.length === 1) return matches[0];
  // Namesakes: the actor chooses; the step itself (and who may take it) is checked on the press.
  const roles = await hazardRoles(ctx.db, hazard, ctx.actor.id);
  // Someone who may not assign gets the step's own refusal, not a choice.
  if (!decide('assign', hazard.status, roles).ok) return matches[0];
  const labels = await withUnits(ctx.db, matches);
  ctx.reply({
    kind: 'card',
    card: card(`请选择 ${hazard.code} 的整改人`, 'orange', [
      text(`本单位有 ${matches.length} 位“${word}”，请选择要指派的一位：`),
      actions(
        ...matches.map((person, index) =>
          button(labels[index]!, 'hazard.assign', { id: String(hazard.id), person: String(person.id) }),
        ),
      ),
      note(`也可发送：指派 ${hazard.code} @人员编号（${matches.map((person) => person.code).join('、')}）`),
    ]),
  });
  return 'choice';
}

/** A button press: the step, answered with a toast; the core answers with the refreshed card. */
export const hazardButton =
  (action: HazardAction) =>
  async (ctx: ActionContext): Promise<ActionResult> => {
    const hazard = await hazardOfAction(ctx);
    const form = ctx.event.form ?? {};
    const args = ctx.event.args;
    let rectifier: Person | undefined;
    if (action === 'assign') {
      const chosen = rowId(args.person);
      if (chosen) {
        rectifier = await personById(ctx.db, ctx.tenant.id, chosen);
        if (!rectifier || rectifier.isOutside || rectifier.archived) {
          throw new Refusal('所选人员已不在本单位的人员名单上，请重新指派。');
        }
      } else {
        const named = await rectifierNamed(ctx, hazard, form.rectifier);
        if (named === 'choice') {
          return {
            toast: { kind: 'info', text: `“${form.rectifier?.trim()}”有同名人员，请在新卡片中选择。` },
          };
        }
        rectifier = named;
      }
    }
    const original =
      action === 'duplicate'
        ? await hazardOfId(ctx, rowId(args.of))
        : action === 'reject'
          ? await duplicateNamedIn(ctx, form.reason)
          : undefined;
    const text = await step(ctx, hazard, original ? 'duplicate' : action, {
      duplicateOf: original,
      reason: form.reason,
      measures: form.measures,
      days: form.days,
      decision: args.decision === 'approve' ? 'approve' : args.decision === 'deny' ? 'deny' : undefined,
      severity: args.severity ?? form.severity,
      place: form.place,
      category: form.category,
      matter: form.matter,
      deadline: form.deadline,
      interim: form.interim,
      rectifier,
    });
    return { toast: { kind: 'success', text } };
  };

// ---------------------------------------------------------------------------------------------------
// Text commands (for channels without buttons, and for people who prefer typing)

async function hazardOfCommand(
  ctx: MessageContext,
  usage: string,
): Promise<{ hazard: Hazard; rest: string }> {
  const found = hazardCodeIn(ctx.args);
  if (!found) throw new Refusal(`请写明隐患编号，例如：${usage}`);
  const hazard = await hazardByCode(ctx.db, ctx.tenant.id, found.code);
  if (!hazard) throw new Refusal(`没有找到隐患 ${found.code}。`);
  return { hazard, rest: found.rest };
}

/** `补充 YH-… 地点 X 程度 一般 类别 Y`: the fields in any order, with or without colons. */
function fieldsOf(rest: string): StepInput {
  const input: StepInput = {};
  const pattern = /(地点|位置|程度|严重程度|类别)\s*[:：]?\s*([^\s，,；;]+)/g;
  for (const match of rest.matchAll(pattern)) {
    const [, key, value] = match;
    if (key === '地点' || key === '位置') input.place = value;
    else if (key === '类别') input.category = value;
    else input.severity = value;
  }
  if (!input.severity) input.severity = /(?:^|\s)(一般|较大|重大)(?:\s|$)/.exec(rest)?.[1];
  return input;
}

/** `受理 YH-… 措施 <临时管控措施> 期限 <日期>`: both optional, in either order. */
function acceptFieldsOf(rest: string): StepInput {
  const deadline = /(?:^|\s)(?:期限|截止)\s*[:：]?\s*(\S+)\s*(?=$|\s(?:措施|临时管控措施)[\s:：])/.exec(rest);
  const text = deadline ? rest.replace(deadline[0], ' ') : rest;
  const interim = /^\s*(?:临时管控措施|措施)\s*[:：]?\s*([\s\S]*)$/.exec(text.trim());
  return {
    deadline: deadline?.[1],
    interim: interim ? interim[1]!.trim() : text.trim() || undefined,
  };
}

export const hazardCommand =
  (action: HazardAction, usage: string) =>
  async (ctx: MessageContext): Promise<void> => {
    const { hazard, rest } = await hazardOfCommand(ctx, usage);
    const input: StepInput = {};
    switch (action) {
      case 'reject':
      case 'fail':
        input.reason = rest;
        if (action === 'reject') input.duplicateOf = await duplicateNamedIn(ctx, rest);
        break;
      case 'submit':
        input.measures = rest;
        break;
      case 'requestExtension': {
        const match = /^(\d+)\s*天?\s*(.*)$/.exec(rest);
        input.days = match?.[1];
        input.reason = match?.[2];
        break;
      }
      case 'list': {
        const match = /^(.*?)\s*(?:截止|期限)\s*[:：]?\s*(\S+)\s*$/.exec(rest);
        input.matter = match?.[1] ?? rest;
        input.deadline = match?.[2];
        break;
      }
      case 'assign': {
        const mentioned = ctx.event.mentions[0];
        const chosen = mentioned
          ? await mentionedMember(ctx, mentioned)
          : await rectifierNamed(ctx, hazard, rest);
        if (mentioned && !chosen) {
          throw new Refusal(`${mentioned.name ?? '被 @ 的人'}不在本单位的人员名单上。`);
        }
        if (chosen === 'choice') return;
        input.rectifier = chosen;
        break;
      }
      case 'complete':
        Object.assign(input, fieldsOf(rest));
        break;
      case 'accept':
        Object.assign(input, acceptFieldsOf(rest));
        break;
    }
    const taken = input.duplicateOf ? 'duplicate' : action;
    ctx.reply({ kind: 'text', text: await step(ctx, hazard, taken, input) });
    const view = (await hazardView(ctx.db, ctx.tenant.id, hazard.id))!;
    ctx.reply({ kind: 'card', card: hazardCard(view, ctx.tenant.timezone, 'public', ctx.now) });
  };

/** `批准延期 YH-…` / `不批准延期 YH-…` */
export const extensionCommand = (decision: 'approve' | 'deny') => async (ctx: MessageContext) => {
  const { hazard } = await hazardOfCommand(
    ctx,
    `${decision === 'approve' ? '批准' : '不批准'}延期 YH-2026-0001`,
  );
  ctx.reply({ kind: 'text', text: await step(ctx, hazard, 'decideExtension', { decision }) });
};

/** `隐患 YH-…`: the hazard's card as it is now, for anyone in the tenant. */
export async function showHazard(ctx: MessageContext): Promise<void> {
  const { hazard } = await hazardOfCommand(ctx, '隐患 YH-2026-0001');
  const view = (await hazardView(ctx.db, ctx.tenant.id, hazard.id))!;
  const roles = await hazardRoles(ctx.db, hazard, ctx.actor.id);
  const audience: HazardAudience = roles.has('unitHead')
    ? 'handler'
    : roles.has('rectifier')
      ? 'rectifier'
      : roles.has('inspector') && hazard.status === 'pending_review'
        ? 'reviewer'
        : 'public';
  ctx.reply(
    { kind: 'card', card: hazardCard(view, ctx.tenant.timezone, audience, ctx.now) },
    { subject: hazardSubject(hazard.id), view: audience },
  );
}

/** A reason like "与 YH-2026-0001 重复": the hazard it names, which makes the rejection a duplicate. */
async function duplicateNamedIn(ctx: StepContext, reason: string | undefined): Promise<Hazard | undefined> {
  const named = reason && /重复/.test(reason) ? hazardCodeIn(reason) : undefined;
  if (!named) return undefined;
  const original = await hazardByCode(ctx.db, ctx.tenant.id, named.code);
  if (!original) throw new Refusal(`没有找到隐患 ${named.code}。`);
  return original;
}

// ---------------------------------------------------------------------------------------------------
// A text that reads like a hazard but has no command: offered back as a report

/** How long the offer's button files the text. */
const OFFER_LIFETIME_MS = 7 * 24 * 3600 * 1000;

/**
 * Offers to file a text as a hazard when it reads like one (see `readsLikeHazard`); false when it does
 * not, so the caller answers with help. Only the writer may press the button, and only once.
 */
export async function offerReport(ctx: MessageContext): Promise<boolean> {
  const text = ctx.event.text.trim();
  if (Array.from(text).length > TEXT_LIMITS.description) return false;
  if (!readsLikeHazard(text, await categoryRules(ctx.db, ctx.tenant.id))) return false;
  const [offer] = await ctx.db
    .insert(reportOffers)
    .values({
      tenantId: ctx.tenant.id,
      personId: ctx.actor.id,
      channel: ctx.event.channel,
      chatId: ctx.event.chat.id,
      messageId: ctx.event.messageId,
      text,
      createdAt: ctx.now,
    })
    .returning({ id: reportOffers.id });
  ctx.reply({
    kind: 'card',
    card: card('要作为隐患上报吗？', 'orange', [
      fields([['内容', text]]),
      note('确认后登记为隐患，转责任处室负责人受理；地点、严重程度可随后补充。'),
      actions(button('上报隐患', 'hazard.offer', { offer: String(offer!.id) }, 'primary')),
      note(`也可发送：报隐患 ${text}`),
    ]),
  });
  return true;
}

/** The offer's button: files the text as the writer's report, once. */
export async function takeReportOffer(ctx: ActionContext): Promise<ActionResult> {
  const id = rowId(ctx.event.args.offer);
  const [offer] = id
    ? await ctx.db
        .select()
        .from(reportOffers)
        .where(and(eq(reportOffers.tenantId, ctx.tenant.id), eq(reportOffers.id, id)))
    : [];
  if (!offer) throw new Refusal('这张卡片已失效，如需上报请发送：报隐患 <隐患情况>');
  if (offer.personId !== ctx.actor.id) throw new Refusal('只有发这条消息的人可以确认上报。');
  if (offer.hazardId !== null) {
    const [done] = await ctx.db.select().from(hazards).where(eq(hazards.id, offer.hazardId));
    throw new Refusal(`这条内容已上报为 ${done?.code ?? '隐患'}，无需重复上报。`);
  }
  if (ctx.now.getTime() - offer.createdAt.getTime() > OFFER_LIFETIME_MS)
    throw new Refusal(`这张卡片已超过 7 天，如需上报请发送：报隐患 ${brief(offer.text)}`);
  const hazard = await fileReport(
    ctx,
    {
      channel: offer.channel,
      chatId: offer.chatId,
      messageId: offer.messageId ?? undefined,
      attachments: [],
    },
    offer.text,
  );
  // A press that lost the race to another press of the same card files nothing (rolled back).
  const [taken] = await ctx.db
    .update(reportOffers)
    .set({ hazardId: hazard.id })
    .where(and(eq(reportOffers.id, offer.id), isNull(reportOffers.hazardId)))
    .returning({ id: reportOffers.id });
  if (!taken) throw new Refusal('这条内容刚刚已上报，无需重复上报。');
  const view = (await hazardView(ctx.db, ctx.tenant.id, hazard.id))!;
  return {
    toast: { kind: 'success', text: `已上报隐患 ${hazard.code}` },
    card: hazardCard(view, ctx.tenant.timezone, 'public', ctx.now),
  };
}
