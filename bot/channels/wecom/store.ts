// What WeCom needs to remember about the cards it sent, kept on their outbox rows (DESIGN.md §1: no
// in-memory state that breaks with two instances).
//
// A template card can only be changed with a response_code, and each code works once and for 72 hours
// (更新模版卡片消息, https://developer.work.weixin.qq.com/document/path/94888): message/send returns one
// for the new card, and every click on it brings another in the callback. The copy's row keeps the
// unused code from message/send in `platform_ref`; a click's code travels on the `update` row the
// core writes for the clicked card (its answer, AnswerKind 'update').
import { z } from 'zod';
import type { Db } from '../../../db/client.ts';
import {
  repointCopies,
  restoreWecomResponseCode,
  setPlatformRef,
  takeWecomResponseCode,
} from '../../../db/queries/outbox.ts';

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

export function createWecomStore(db: Db): WecomStore {
  return {
    async saveRef(rowId, ref) {
      await setPlatformRef(db, rowId, ref);
    },

    async takeCode(taskId, tenantId) {
      const taken = await takeWecomResponseCode(db, taskId, tenantId);
      return taken ? { copyId: taken.id, ref: readRef(taken.ref) } : undefined;
    },

    async restoreCode(copyId, ref) {
      if (!ref.responseCode) return;
      await restoreWecomResponseCode(db, copyId, {
        responseCode: ref.responseCode,
        ...(ref.codeAt ? { codeAt: ref.codeAt } : {}),
      });
    },

    async repoint(taskId, tenantId, newTaskId, ref) {
      await repointCopies(db, 'wecom', { taskId, tenantId, newTaskId, ref });
    },
  };
}
