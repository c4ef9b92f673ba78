// 报隐患: report a hazard from any chat, route it to the responsible office, let its head accept it.
import { and, eq } from 'drizzle-orm';
import type { ActionContext, MessageContext } from '../bot/core/context.ts';
import { Refusal } from '../bot/core/errors.ts';
import type { ActionResult } from '../bot/core/types.ts';
import { hazardCard, hazardSubject } from '../cards/hazard.ts';
import {
  appendHazardEvent,
  categoryRules,
  hazardView,
  latestReportInChat,
  nextSequence,
} from '../db/queries/hazards.ts';
import { officeStaff, unitHeads } from '../db/queries/org.ts';
import { hazardPhotos, hazards } from '../db/schema.ts';
import { hazardCode, inferCategory } from './hazard-rules.ts';
import { yearIn } from './time.ts';

/** Photos sent within this time after a report, in the same chat by the same person, attach to it. */
const PHOTO_WINDOW_MS = 10 * 60 * 1000;

export async function reportHazard(ctx: MessageContext): Promise<void> {
  const description = ctx.args;
  if (!description) {
    throw new Refusal('请在“报隐患”后写明隐患情况，例如：报隐患 教学楼三楼东侧灭火器过期');
  }
  const { tenant, actor, event, db } = ctx;
  const inferred = inferCategory(description, await categoryRules(db, tenant.id));
  const unitId = inferred?.unitId ?? tenant.officeUnitId;
  const year = yearIn(ctx.now, tenant.timezone);
  const sequence = await nextSequence(db, tenant.id, `hazard:${year}`);
  const [hazard] = await db
    .insert(hazards)
    .values({
      tenantId: tenant.id,
      code: hazardCode(year, sequence),
      description,
      categoryId: inferred?.categoryId ?? null,
      reporterId: actor.id,
      sourceChannel: event.channel,
      sourceChatId: event.chat.id,
      unitId,
      createdAt: ctx.now,
      updatedAt: ctx.now,
    })
    .returning();
  await appendHazardEvent(db, {
    tenantId: tenant.id,
    hazardId: hazard!.id,
    actorId: actor.id,
    action: 'report',
    toStatus: 'reported',
    note: inferred ? `按关键词“${inferred.matched.join('、')}”归类` : '未识别类别，转安全办公室',
    at: ctx.now,
  });
  await attachPhotos(ctx, hazard!.id);

  const view = (await hazardView(db, tenant.id, hazard!.id))!;
  const subject = hazardSubject(hazard!.id);
  ctx.reply({ kind: 'card', card: hazardCard(view, tenant.timezone, 'public') }, { subject, view: 'public' });
  const heads = unitId ? await unitHeads(db, unitId) : [];
  const handlers = heads.length > 0 ? heads : await officeStaff(db, tenant.id);
  for (const person of handlers) {
    ctx.send({
      to: { kind: 'person', personId: person.id },
      body: { kind: 'card', card: hazardCard(view, tenant.timezone, 'handler') },
      subject,
      view: 'handler',
    });
  }
  if (handlers.length === 0) {
    ctx.reply({
      kind: 'text',
      text: `注意：${view.unitName ?? '安全办公室'}暂无登记的负责人，请管理员补充组织信息。`,
    });
  }
}

/** Photos in a message of their own attach to the sender's report just before them. */
export async function attachFollowUpPhotos(ctx: MessageContext): Promise<void> {
  const { event } = ctx;
  const since = new Date(ctx.now.getTime() - PHOTO_WINDOW_MS);
  const hazard = await latestReportInChat(ctx.db, ctx.tenant.id, ctx.actor.id, event.chat.id, since);
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
  const count = await attachPhotos(ctx, hazard.id);
  ctx.reply({ kind: 'text', text: `已将 ${count} 张照片附到隐患 ${hazard.code}。` });
  const view = (await hazardView(ctx.db, ctx.tenant.id, hazard.id))!;
  ctx.refresh(hazardSubject(hazard.id), (audience) =>
    audience === 'public' || audience === 'handler'
      ? hazardCard(view, ctx.tenant.timezone, audience)
      : undefined,
  );
}

async function attachPhotos(ctx: MessageContext, hazardId: number): Promise<number> {
  const images = ctx.event.attachments.filter((attachment) => attachment.kind === 'image');
  if (images.length === 0) return 0;
  await ctx.db.insert(hazardPhotos).values(
    images.map((image) => ({
      tenantId: ctx.tenant.id,
      hazardId,
      channel: ctx.event.channel,
      fileKey: image.key,
      messageId: ctx.event.messageId,
      addedById: ctx.actor.id,
      createdAt: ctx.now,
    })),
  );
  return images.length;
}

/** 受理: the responsible unit's head (or the safety office) takes the hazard on. */
export async function acceptHazard(ctx: ActionContext): Promise<ActionResult> {
  const { db, tenant, actor } = ctx;
  const id = Number(ctx.event.args.id);
  const view = Number.isInteger(id) ? await hazardView(db, tenant.id, id) : undefined;
  if (!view) throw new Refusal('找不到这条隐患，可能已被删除。');
  const { hazard } = view;
  const heads = hazard.unitId ? await unitHeads(db, hazard.unitId) : [];
  const office = await officeStaff(db, tenant.id);
  const allowed = [...heads, ...office].some((person) => person.id === actor.id);
  if (!allowed) {
    throw new Refusal(`只有${view.unitName ?? '责任处室'}负责人或安全办公室可以受理隐患 ${hazard.code}。`);
  }
  if (hazard.status !== 'reported') {
    const card = hazardCard(view, tenant.timezone, 'handler');
    return {
      toast: { kind: 'info', text: `${hazard.code} 已由${view.acceptedByName ?? '他人'}受理。` },
      card,
    };
  }
  const updated = await db
    .update(hazards)
    .set({ status: 'accepted', acceptedById: actor.id, acceptedAt: ctx.now, updatedAt: ctx.now })
    .where(and(eq(hazards.id, hazard.id), eq(hazards.status, 'reported')))
    .returning({ id: hazards.id });
  if (updated.length === 0) throw new Refusal(`${hazard.code} 刚刚已被他人受理。`);
  await appendHazardEvent(db, {
    tenantId: tenant.id,
    hazardId: hazard.id,
    actorId: actor.id,
    action: 'accept',
    fromStatus: 'reported',
    toStatus: 'accepted',
    at: ctx.now,
  });
  const fresh = (await hazardView(db, tenant.id, hazard.id))!;
  ctx.refresh(hazardSubject(hazard.id), (audience) =>
    audience === 'public' || audience === 'handler'
      ? hazardCard(fresh, tenant.timezone, audience)
      : undefined,
  );
  return {
    toast: { kind: 'success', text: `已受理 ${hazard.code}` },
    card: hazardCard(fresh, tenant.timezone, 'handler'),
  };
}
