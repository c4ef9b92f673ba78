// Drives the real core and router the way the web console does (channel 'console'), with a settable
// clock, and reads what the bot sent from the outbox.
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt } from 'drizzle-orm';
import { createCore } from '../../bot/core/core.ts';
import { silentLogger } from '../../bot/core/log.ts';
import type { ActionResult, Attachment, Channel, ExternalUser, InboundEvent } from '../../bot/core/types.ts';
import type { Database } from '../../db/client.ts';
import { outbox, people } from '../../db/schema.ts';
import { createRouter } from '../../handlers/index.ts';

export interface ConsoleDriver {
  now: Date;
  readonly channels: ReadonlySet<Channel>;
  tenantId: number;
  personId(code: string): Promise<number>;
  /** A member says something; returns what the bot answered in their chat. */
  say(
    code: string,
    text: string,
    extra?: { attachments?: Attachment[]; mentions?: ExternalUser[] },
  ): Promise<string>;
  /** A member presses a button (with a form's values). */
  press(
    code: string,
    action: string,
    args: Record<string, string>,
    form?: Record<string, string>,
  ): Promise<ActionResult | undefined>;
  /** Everything sent to a person (texts, and cards as JSON), in order. */
  inbox(personId: number): Promise<string[]>;
}

export function consoleDriver(database: Database, start: Date): ConsoleDriver {
  const channels = new Set<Channel>(['console']);
  const driver: ConsoleDriver = {
    now: start,
    channels,
    tenantId: 0,
    async personId(code) {
      return (await database.db.select({ id: people.id }).from(people).where(eq(people.code, code)))[0]!.id;
    },
    async say(code, text, extra = {}) {
      const id = await driver.personId(code);
      const [last] = await database.db
        .select({ id: outbox.id })
        .from(outbox)
        .orderBy(desc(outbox.id))
        .limit(1);
      const event: InboundEvent = {
        ...base(id),
        type: 'message',
        chat: { id: `person:${id}`, type: 'p2p' },
        messageId: randomUUID(),
        text,
        mentionedBot: true,
        mentions: extra.mentions ?? [],
        attachments: extra.attachments ?? [],
      };
      await core.handle(event);
      const rows = await database.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.targetId, `person:${id}`), gt(outbox.id, last?.id ?? 0)))
        .orderBy(asc(outbox.id));
      return rows
        .map((row) => (row.body.kind === 'text' ? row.body.text : JSON.stringify(row.body.card)))
        .join('\n');
    },
    async press(code, action, args, form) {
      const id = await driver.personId(code);
      const result = await core.handle({ ...base(id), type: 'action', action, args, form });
      return result.kind === 'done' ? result.action : undefined;
    },
    async inbox(personId) {
      const rows = await database.db
        .select()
        .from(outbox)
        .where(eq(outbox.personId, personId))
        .orderBy(asc(outbox.id));
      return rows.map((row) => (row.body.kind === 'text' ? row.body.text : JSON.stringify(row.body.card)));
    },
  };
  const core = createCore({
    db: database.db,
    router: createRouter(),
    channels,
    log: silentLogger,
    clock: () => driver.now,
  });
  function base(id: number) {
    return {
      channel: 'console' as const,
      eventKey: randomUUID(),
      sender: { ids: [{ kind: 'person', value: String(id) }] },
      platformTenant: String(driver.tenantId),
      at: driver.now,
    };
  }
  return driver;
}
