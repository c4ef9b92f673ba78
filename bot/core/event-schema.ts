// The InboundEvent as a zod schema: how an event written to the inbox as JSON (inbound_events.payload) is
// read back. JSON has no dates, so `at` comes back from its ISO text; a row that does not parse is not an
// event to process (bot/core/core.ts marks it failed with the reason).
import { z } from 'zod';
import { type ActionEvent, CHANNELS, type InboundEvent, type MessageEvent } from './types.ts';

const channel = z.enum(CHANNELS);
const externalUser = z.object({
  ids: z.array(z.object({ kind: z.string(), value: z.string() })),
  name: z.string().optional(),
});
const chat = z.object({ id: z.string(), type: z.enum(['group', 'p2p']) });
const strings = z.record(z.string(), z.string());

const base = {
  channel,
  eventKey: z.string(),
  sender: externalUser,
  at: z.coerce.date().refine((date) => !Number.isNaN(date.getTime()), 'not a time'),
  platformTenant: z.string().optional(),
  answerRef: z.record(z.string(), z.unknown()).optional(),
};

const messageEvent = z.object({
  ...base,
  type: z.literal('message'),
  chat,
  messageId: z.string(),
  text: z.string(),
  mentionedBot: z.boolean(),
  mentions: z.array(externalUser),
  attachments: z.array(
    z.object({
      kind: z.enum(['image', 'file']),
      key: z.string(),
      name: z.string().optional(),
      fileId: z.number().int().positive().optional(),
      refused: z.string().optional(),
    }),
  ),
});

const actionEvent = z.object({
  ...base,
  type: z.literal('action'),
  chat: chat.optional(),
  action: z.string(),
  args: strings,
  form: strings.optional(),
  messageId: z.string().optional(),
});

export const inboundEventSchema = z.discriminatedUnion('type', [messageEvent, actionEvent]);

// The schema and the interfaces of types.ts describe one shape: each is assignable to the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameMessage: Same<z.infer<typeof messageEvent>, MessageEvent> = true;
const sameAction: Same<z.infer<typeof actionEvent>, ActionEvent> = true;
void sameMessage;
void sameAction;

/** An inbox payload back as the event the adapter normalized, or why it is not one. */
export function parseInboundEvent(
  payload: unknown,
): { ok: true; event: InboundEvent } | { ok: false; reason: string } {
  const parsed = inboundEventSchema.safeParse(payload);
  if (parsed.success) return { ok: true, event: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, reason: `the payload is not an InboundEvent (${issues})` };
}
