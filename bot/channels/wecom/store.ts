// What WeCom needs to remember about the cards it sent, kept on their outbox rows (DESIGN.md §1: no
// in-memory state that breaks with two instances).
//
// A template card can only be changed with a response_code, and each code works once and for 72 hours
// (更新模版卡片消息, https://developer.work.weixin.qq.com/document/path/94888): message/send returns one
// for the new card, and every click on it brings another in the callback. The copy's row keeps the
// unused code from message/send in `platform_ref`; a click's code travels on the `update` row the
// core writes for the clicked card (its answer, AnswerKind 'update').
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../../db/client.ts';
import { outbox } from '../../../db/schema.ts';

export const wecomRefSchema = z.object({
  msgid: z.string().optional(),
  responseCode: z.string().optional(),
  /** When the code was issued (ISO time); codes expire after 72 hours. */
  codeAt: z.string().optional(),
});
export type WecomRef = z.infer<typeof wecomRefSchema>;

export function readRef(value: unknown): WecomRef {
  const parsed = wecomRefSchema.safeParse(value ?? {});
  return parsed.success ? parsed.data : {};
}

/** A code a little younger than 72 hours is still worth trying. */
const CODE_LIFETIME_MS = 71 * 3600 * 1000;

export function usableCode(ref: WecomRef, now: Date): string | undefined {
  if (!ref.responseCode) return undefined;
  const at = ref.codeAt ? Date.parse(ref.codeAt) : Number.NaN;
  if (Number.isFinite(at) && now.getTime() - at > CODE_LIFETIME_MS) return undefined;
  return ref.responseCode;
}

export interface WecomStore {
  /** Records what message/send returned for a row. */
  saveRef(rowId: number, ref: WecomRef): Promise<void>;
  /** Takes (and clears) the unused response_code of the copy showing card `taskId`. */
  takeCode(taskId: string, tenantId: number | null): Promise<{ copyId: number; ref: WecomRef } | undefined>;
  /** Puts a taken code back after a call that may not have reached WeCom. */
  restoreCode(copyId: number, ref: WecomRef): Promise<void>;
  /** The copy's card was re-sent as a new message: later updates and clicks concern that one. */
  repoint(taskId: string, tenantId: number | null, newTaskId: string, ref: WecomRef): Promise<void>;
}

/** The copies (sent rows, not updates) showing card `taskId` on a WeCom channel (the app's or the bot's). */
export const copyOf = (taskId: string, tenantId: number | null, channel: 'wecom' | 'wecom_bot' = 'wecom') =>
  and(
    eq(outbox.channel, channel),
    eq(outbox.platformMessageId, taskId),
    inArray(outbox.op, ['send', 'reply']),
    ...(tenantId === null ? [] : [eq(outbox.tenantId, tenantId)]),
  );

export function createWecomStore(db: Db): WecomStore {
  return {
    async saveRef(rowId, ref) {
      await db.update(outbox).set({ platformRef: ref }).where(eq(outbox.id, rowId));
    },

    async takeCode(taskId, tenantId) {
      // One statement, so two dispatchers cannot both take the same single-use code.
      const tenantFilter = tenantId === null ? sql`true` : sql`tenant_id = ${tenantId}`;
      const result = await db.execute<{ id: number | string; ref: unknown }>(sql`
        with target as (
          select id, platform_ref as ref from outbox
          where channel = 'wecom' and platform_message_id = ${taskId} and op in ('send', 'reply')
            and ${tenantFilter} and platform_ref->>'responseCode' is not null
          order by id limit 1
          for update
        )
        update outbox set platform_ref = outbox.platform_ref - 'responseCode' - 'codeAt'
        from target where outbox.id = target.id
        returning target.id as id, target.ref as ref`);
      const rows = Array.isArray(result) ? result : (result as { rows: { id: number; ref: unknown }[] }).rows;
      const row = rows[0];
      return row ? { copyId: Number(row.id), ref: readRef(row.ref) } : undefined;
    },

    async restoreCode(copyId, ref) {
      if (!ref.responseCode) return;
      const code = { responseCode: ref.responseCode, ...(ref.codeAt ? { codeAt: ref.codeAt } : {}) };
      await db
        .update(outbox)
        .set({
          platformRef: sql`coalesce(${outbox.platformRef}, '{}'::jsonb) || ${JSON.stringify(code)}::jsonb`,
        })
        .where(and(eq(outbox.id, copyId), sql`${outbox.platformRef}->>'responseCode' is null`));
    },

    async repoint(taskId, tenantId, newTaskId, ref) {
      await db
        .update(outbox)
        .set({ platformMessageId: newTaskId, platformRef: ref })
        .where(copyOf(taskId, tenantId));
    },
  };
}
