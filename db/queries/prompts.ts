// Numbered replies for channels without buttons: the last card sent into a conversation is remembered,
// and "1" from the right person within the card's lifetime is pressed as its first button.
import { and, desc, eq, gt } from 'drizzle-orm';
import type { Channel } from '../../bot/core/types.ts';
import { type Button, buttonsOf, type Card } from '../../cards/model.ts';
import type { Queryable } from '../client.ts';
import { cardPrompts } from '../schema.ts';

/** How long a numbered card can be answered. */
export const PROMPT_LIFETIME_MS = 24 * 3600 * 1000;

export async function rememberPrompt(
  db: Queryable,
  prompt: { tenantId: number | null; channel: Channel; chatId: string; personId: number | null; card: Card },
  now = new Date(),
) {
  const buttons = buttonsOf(prompt.card);
  if (buttons.length === 0) return;
  await db.insert(cardPrompts).values({
    tenantId: prompt.tenantId,
    channel: prompt.channel,
    chatId: prompt.chatId,
    personId: prompt.personId,
    title: prompt.card.title,
    buttons,
    createdAt: now,
    expiresAt: new Date(now.getTime() + PROMPT_LIFETIME_MS),
  });
}

export type PromptAnswer =
  | { kind: 'button'; button: Button; promptId: number }
  | { kind: 'not-yours'; title: string }
  | { kind: 'out-of-range'; count: number }
  | { kind: 'none' };

/** Resolves a numbered reply in a conversation against the newest live card there. */
export async function answerPrompt(
  db: Queryable,
  channel: Channel,
  chatId: string,
  personId: number | undefined,
  choice: number,
  now = new Date(),
): Promise<PromptAnswer> {
  const [latest] = await db
    .select()
    .from(cardPrompts)
    .where(
      and(eq(cardPrompts.channel, channel), eq(cardPrompts.chatId, chatId), gt(cardPrompts.expiresAt, now)),
    )
    .orderBy(desc(cardPrompts.id))
    .limit(1);
  if (!latest) return { kind: 'none' };
  if (latest.personId !== null && latest.personId !== personId)
    return { kind: 'not-yours', title: latest.title };
  const button = latest.buttons[choice - 1];
  if (!button) return { kind: 'out-of-range', count: latest.buttons.length };
  return { kind: 'button', button, promptId: latest.id };
}
