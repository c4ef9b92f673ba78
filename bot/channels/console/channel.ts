// The web console as a channel: always on. Its messages stay in the outbox, where its pages read them; a
// button press is answered in the page that follows it (the flash), so the core returns the answer.
import type { ChannelDefinition } from '../channel.ts';
import { createConsoleSender } from './sender.ts';

export const consoleChannel: ChannelDefinition = {
  name: 'console',
  answer: 'response',
  open: () => ({ sender: createConsoleSender() }),
};
