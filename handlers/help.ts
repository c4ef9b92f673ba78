// 帮助, and the answer to anything the bot does not understand: never silence (DESIGN.md §5).
import type { MessageContext } from '../bot/core/context.ts';
import type { Router } from '../bot/core/router.ts';
import { card, fields, note } from '../cards/model.ts';

export function helpCard(router: Router) {
  return card('一岗双责安全助手', 'blue', [
    fields(router.commands.map((spec) => [spec.usage, spec.summary])),
    note('在群里使用时请先 @我。每条命令也可用英文别名，如 /report、/help。'),
  ]);
}

export const showHelp = (router: Router) => async (ctx: MessageContext) => {
  ctx.reply({ kind: 'card', card: helpCard(router) });
};

export const unknownInput = (router: Router) => async (ctx: MessageContext) => {
  // By characters, not UTF-16 units: half an emoji cannot be stored (PostgreSQL jsonb refuses it).
  const chars = Array.from(ctx.args);
  const said = chars.length > 20 ? `${chars.slice(0, 20).join('')}…` : ctx.args;
  ctx.reply({
    kind: 'text',
    text: said ? `没有看懂“${said}”。以下是我能做的事：` : '你好！以下是我能做的事：',
  });
  ctx.reply({ kind: 'card', card: helpCard(router) });
};
