// The web console's "delivery": its messages stay in the outbox, where the console page reads them.
import type { ChannelSender } from '../../core/delivery.ts';

export function createConsoleSender(): ChannelSender {
  return {
    channel: 'console',
    async deliver(row) {
      return {
        platformMessageId: row.op === 'update' ? (row.refMessageId ?? undefined) : `console-${row.id}`,
      };
    },
  };
}
