// Re-rendering every card already sent for a changed subject (a hazard, a task…): cards not sent yet are
// rewritten in place, sent ones get an update row. The clicked card, if given, is only re-rendered: the
// channel's synchronous answer replaces it.
import type { Card } from '../../cards/model.ts';
import type { Tx } from '../../db/client.ts';
import { cardCopies, insertOutbox, rewriteOutboxBody } from '../../db/queries/outbox.ts';
import type { Refresh } from './context.ts';
import type { Channel } from './types.ts';

/** Returns the new rendering of the clicked card when it is one of the copies. */
export async function refreshCards(
  tx: Tx,
  tenantId: number,
  refreshes: Refresh[],
  clickedMessageId?: string,
  /** Only the copies on these channels (default: all). */
  onChannels?: ReadonlySet<Channel>,
): Promise<Card | undefined> {
  let clicked: Card | undefined;
  for (const refresh of refreshes) {
    const owner = refresh.tenantId ?? tenantId;
    const copies = (await cardCopies(tx, owner, refresh.subject)).filter(
      (copy) => !onChannels || onChannels.has(copy.channel),
    );
    // Copies that show one message to one recipient (an old card now following a newer one, after a
    // channel sent it anew) get one update: the newest copy's.
    const newest = new Map<string, number>();
    const shownAs = (copy: (typeof copies)[number]) =>
      `${copy.channel}\0${copy.targetKind}\0${copy.targetId}\0${copy.platformMessageId}`;
    for (const copy of copies) {
      if (copy.platformMessageId)
        newest.set(shownAs(copy), Math.max(newest.get(shownAs(copy)) ?? 0, copy.id));
    }
    for (const copy of copies) {
      if (copy.platformMessageId && newest.get(shownAs(copy)) !== copy.id) continue;
      const card = refresh.render(copy.view ?? '');
      if (!card) continue;
      if (copy.status === 'pending') {
        await rewriteOutboxBody(tx, copy.id, { kind: 'card', card });
      } else if (copy.platformMessageId && copy.platformMessageId === clickedMessageId) {
        clicked = card;
      } else if (copy.platformMessageId) {
        await insertOutbox(tx, {
          tenantId: owner,
          channel: copy.channel,
          op: 'update',
          targetKind: copy.targetKind,
          targetId: copy.targetId,
          refMessageId: copy.platformMessageId,
          personId: copy.personId,
          body: { kind: 'card', card },
          subject: copy.subject,
          view: copy.view,
        });
      }
    }
  }
  return clicked;
}
