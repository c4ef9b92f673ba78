// 报隐患 from any chat, routed by the tenant's category table; the photos that follow a report or a
// rectification; and a text that reads like a hazard, offered back as a report (DOMAIN §4).
import type { ActionContext, Context, MessageContext } from '../../bot/core/context.ts';
import { Refusal } from '../../bot/core/errors.ts';
import type { ActionResult, MessageEvent } from '../../bot/core/types.ts';
import { hazardCard, hazardSubject } from '../../cards/hazard.ts';
import { actions, button, card, fields, note } from '../../cards/model.ts';
import {
  appendHazardEvent,
  categoryRules,
  type Hazard,
  hazardById,
  hazardView,
  insertHazard,
  latestRectificationBy,
  latestReportInChat,
  nextSequence,
  openHazardsOfCategory,
} from '../../db/queries/hazards.ts';
import { insertReportOffer, reportOfferById, takeOffer } from '../../db/queries/report-offers.ts';
import { attachHazardPhotos, type Received, refusalNote } from '../evidence.ts';
import { FOLLOW_UP_WINDOW_MS, type PhotoStage } from '../evidence-rules.ts';
import {
  type CategoryRule,
  hazardCode,
  inferCategory,
  parseReport,
  readsLikeHazard,
  STATUS_LABEL,
  samePlace,
} from '../hazard-rules.ts';
import type { HazardOrigin, HazardStatus } from '../hazard-workflow.ts';
import { rowOfButton } from '../row-of-button.ts';
import { capped, TEXT_LIMITS } from '../text-limits.ts';
import { yearIn } from '../time.ts';
import { handlersOf, notify, refreshHazard, type StepContext, tellLeadersOfGrave } from './follow-ups.ts';

/** Where a report came from: the chat that its answers and follow-up photos belong to. */
export interface ReportSource extends Received {
  chatId: string;
}

const sourceOf = (event: MessageEvent): ReportSource => ({
  channel: event.channel,
  chatId: event.chat.id,
  messageId: event.messageId,
  at: event.at,
  attachments: event.attachments,
});

/** Photos of a hazard being rectified, or rectified, show its state after (整改后). */
const AFTER_STATES: ReadonlySet<HazardStatus> = new Set(['rectifying', 'pending_review', 'closed']);
const stageOf = (hazard: Hazard): PhotoStage => (AFTER_STATES.has(hazard.status) ? 'after' : 'before');

export async function reportHazard(ctx: MessageContext): Promise<void> {
  await fileReport(ctx, sourceOf(ctx.event), ctx.args);
}

/**
 * The images of a step's own message (`整改完成 YH-… <措施>` with photos, a Feishu post): attached at the
 * hazard's stage after the step (整改后 once it is rectified); the words to add to the step's answer.
 */
export async function attachPhotosOfStep(ctx: MessageContext, hazardId: number): Promise<string> {
  const hazard = await hazardById(ctx.db, ctx.tenant.id, hazardId);
  if (!hazard || ctx.event.attachments.length === 0) return '';
  const { count, refusals } = await attachHazardPhotos(ctx, sourceOf(ctx.event), hazard.id, stageOf(hazard));
  return `${count > 0 ? `已附照片 ${count} 张。` : ''}${refusalNote(refusals)}`;
}

/** What filing a report needs of its context: no chat event (the console files a round's failures). */
export type ReportContext = Pick<Context, 'db' | 'tenant' | 'actor' | 'now' | 'send' | 'reply' | 'refresh'>;

/** What a report filed by another feature adds: where it came from (an inspection round), its place. */
export interface ReportOrigin {
  origin: HazardOrigin;
  /** The place when the text names none (a checklist item's area). */
  place?: string;
  /** Said first in the hazard's trail, e.g. 检查发现（JC-JSZX-2026-0001）. */
  trail: string;
}

/**
 * Files a report: 报隐患, a hazard-like text the reporter confirmed, or a failing item of an inspection
 * round (`origin`). One path: answered in its chat with the hazard card, routed by the category table,
 * the unit head told, the reporter asked for what is missing, a likely duplicate of an open one said.
 */
export async function fileReport(
  ctx: ReportContext,
  source: ReportSource,
  text: string,
  from?: ReportOrigin,
): Promise<Hazard> {
  const report = parseReport(text);
  if (!report.place && from?.place) report.place = from.place;
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
  const hazard = await insertHazard(db, {
    tenantId: tenant.id,
    code: hazardCode(tenant.hazardPrefix, year, sequence),
    description: report.description,
    place: report.place ?? null,
    severity: report.severity ?? null,
    categoryId: route?.categoryId ?? null,
    reporterId: actor.id,
    origin: from?.origin ?? 'report',
    sourceChannel: source.channel,
    sourceChatId: source.chatId,
    unitId,
    similarToId: similar?.id ?? null,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  });
  await appendHazardEvent(db, {
    tenantId: tenant.id,
    hazardId: hazard.id,
    actorId: actor.id,
    action: 'report',
    toStatus: 'reported',
    note: [
      from?.trail,
      route ? `按“${route.matched.join('、')}”归类` : '未识别类别，转安全办公室',
      similar && `可能与 ${similar.code} 重复`,
    ]
      .filter(Boolean)
      .join('；'),
    at: ctx.now,
  });
  const photos = await attachHazardPhotos(ctx, source, hazard.id, 'before');

  const view = (await hazardView(db, tenant.id, hazard.id))!;
  const subject = hazardSubject(hazard.id);
  ctx.reply(
    { kind: 'card', card: hazardCard(view, tenant.timezone, 'public', ctx.now) },
    { subject, view: 'public' },
  );
  if (similar) ctx.reply({ kind: 'text', text: likelyDuplicate(hazard, similar) });
  if (photos.refusals.length > 0) ctx.reply({ kind: 'text', text: refusalNote(photos.refusals) });
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
export const likelyDuplicate = (hazard: Hazard, similar: Hazard) =>
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
export async function similarOpenHazard(ctx: StepContext, report: Report): Promise<Hazard | undefined> {
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

/** The category and unit of a report: the one named (if it exists), else inferred from the description. */
export function routeOf(named: string | undefined, description: string, rules: CategoryRule[]) {
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

/** A hazard the photos of a message of their own follow: a report, or a rectification (整改后). */
export interface HazardFollowed {
  hazard: Hazard;
  rectified: boolean;
  /** When the report or the rectification was made (the newest of a person's follows wins). */
  at: Date;
}

/**
 * The hazard that photos in a message of their own follow: the sender's report just before them in that
 * chat, or the rectification the sender just submitted (DOMAIN §4); none after the window.
 */
export async function hazardFollowed(ctx: MessageContext, since: Date): Promise<HazardFollowed | undefined> {
  const rectified = await latestRectificationBy(ctx.db, ctx.tenant.id, ctx.actor.id, since);
  const reported = await latestReportInChat(ctx.db, ctx.tenant.id, ctx.actor.id, ctx.event.chat.id, since);
  if (rectified && (!reported || rectified.rectifiedAt! > reported.createdAt)) {
    return { hazard: rectified, rectified: true, at: rectified.rectifiedAt! };
  }
  return reported && { hazard: reported, rectified: false, at: reported.createdAt };
}

/**
 * Attaches the images of a message of their own to the hazard they follow (as rectification evidence
 * after a rectification); its files are refused, a hazard takes photos only, and a message of files only
 * writes nothing.
 */
export async function attachFollowUpPhotos(ctx: MessageContext, followed: HazardFollowed): Promise<void> {
  const { event } = ctx;
  const { hazard } = followed;
  const { count, refusals } = await attachHazardPhotos(
    ctx,
    sourceOf(event),
    hazard.id,
    followed.rectified ? 'after' : stageOf(hazard),
  );
  if (!event.attachments.some((attachment) => attachment.kind === 'image')) {
    ctx.reply({
      kind: 'text',
      text: `${refusals.join('；')}。隐患 ${hazard.code} 请补发现场照片；文件可作为“记录”的附件：先发送“记录 会议|检查|督查|演练 <说明>”，再在 ${FOLLOW_UP_WINDOW_MS / 60_000} 分钟内发送文件。`,
    });
    return;
  }
  if (followed.rectified) {
    await appendHazardEvent(ctx.db, {
      tenantId: ctx.tenant.id,
      hazardId: hazard.id,
      actorId: ctx.actor.id,
      action: 'evidence',
      note: `整改照片 ${count} 张`,
      evidence: {
        photos: event.attachments
          .filter((attachment) => attachment.kind === 'image')
          .map((attachment) => attachment.key),
        channel: event.channel,
      },
      at: ctx.now,
    });
  }
  ctx.reply({
    kind: 'text',
    text: `已将 ${count} 张照片${followed.rectified ? '作为整改证据' : ''}附到隐患 ${hazard.code}。${refusalNote(refusals)}`,
  });
  await refreshHazard(ctx, hazard.id);
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
  const offerId = await insertReportOffer(ctx.db, {
    tenantId: ctx.tenant.id,
    personId: ctx.actor.id,
    channel: ctx.event.channel,
    chatId: ctx.event.chat.id,
    messageId: ctx.event.messageId,
    text,
    createdAt: ctx.now,
  });
  ctx.reply({
    kind: 'card',
    card: card('要作为隐患上报吗？', 'orange', [
      fields([['内容', text]]),
      note('确认后登记为隐患，转责任处室负责人受理；地点、严重程度可随后补充。'),
      actions(button('上报隐患', 'hazard.offer', { offer: String(offerId) }, 'primary')),
      note(`也可发送：报隐患 ${text}`),
    ]),
  });
  return true;
}

/** The offer's button: files the text as the writer's report, once. */
export async function takeReportOffer(ctx: ActionContext): Promise<ActionResult> {
  const offer = await rowOfButton(
    ctx,
    reportOfferById,
    '这张卡片已失效，如需上报请发送：报隐患 <隐患情况>',
    'offer',
  );
  if (offer.personId !== ctx.actor.id) throw new Refusal('只有发这条消息的人可以确认上报。');
  if (offer.hazardId !== null) {
    const done = await hazardById(ctx.db, ctx.tenant.id, offer.hazardId);
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
      at: ctx.now,
      attachments: [],
    },
    offer.text,
  );
  // A press that lost the race to another press of the same card files nothing (rolled back).
  if (!(await takeOffer(ctx.db, offer.id, hazard.id)))
    throw new Refusal('这条内容刚刚已上报，无需重复上报。');
  const view = (await hazardView(ctx.db, ctx.tenant.id, hazard.id))!;
  return {
    toast: { kind: 'success', text: `已上报隐患 ${hazard.code}` },
    card: hazardCard(view, ctx.tenant.timezone, 'public', ctx.now),
  };
}
