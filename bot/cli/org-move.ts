// npm run org:move -- --chat <渠道>:<群ID> | --identity <渠道>:<类型>:<ID> --person <人员代码>
//                      --from <单位代码> --to <单位代码> --reason <原因>
// Moves a group chat binding, or a person's platform id, from one tenant to another: the operator's act
// for what an organization file may not take from another tenant. Recorded in both tenants' audit trails
// with the reason and the operating-system user who ran it. Bad arguments exit 2; a move that does not
// fit the database (no such tenant, chat, id or person) exits 1 and changes nothing.
import { hostname, userInfo } from 'node:os';
import { z } from 'zod';
import { MoveError, type MoveRefusal, moveChat, moveIdentity } from '../../db/claims.ts';
import { CLAIM_CHANNEL_NAMES } from '../../handlers/org-file.ts';
import { defineCli, readOptions, runIfMain, UsageError } from './options.ts';

const USAGE =
  '用法：npm run org:move -- --chat <渠道>:<群ID> --from <原单位代码> --to <新单位代码> --reason <原因>\n' +
  '      npm run org:move -- --identity <渠道>:<类型>:<ID> --person <新单位的人员代码> --from <原单位代码> --to <新单位代码> --reason <原因>\n' +
  '      渠道：feishu | wecom | wecom_bot（仅群）| wechaty；类型：feishu 为 open_id 或 user_id，wecom 为 userid，wechaty 为 id\n' +
  '      例：npm run org:move -- --chat feishu:oc_0a1b2c --from school-a --to school-b --reason "该群为 B 校安全工作群"';

const KINDS = { feishu: ['open_id', 'user_id'], wecom: ['userid'], wechaty: ['id'] } as const;
// A WeCom userid is one per corp member, for the app and the 智能机器人 alike: the bot has chats of its
// own but no identities (db/queries/org.ts identityChannel).
const channel = z.enum(['feishu', 'wecom', 'wecom_bot', 'wechaty']);

type Arguments = { from: string; to: string; reason: string } & (
  | { chat: { channel: z.infer<typeof channel>; chatId: string } }
  | { identity: { channel: keyof typeof KINDS; kind: string; value: string }; person: string }
);

/** `feishu:oc_…` or `feishu:open_id:ou_…`; whatever follows the leading parts is the id, colons and all. */
function split(value: string, parts: 2 | 3, option: string) {
  const pieces = value.split(':');
  const head = pieces.slice(0, parts - 1);
  const rest = pieces.slice(parts - 1).join(':');
  const parsed = channel.safeParse(head[0]);
  if (!parsed.success || rest === '') {
    throw new UsageError(
      `--${option} 的格式应为 ${parts === 2 ? '<渠道>:<群ID>' : '<渠道>:<类型>:<ID>'}，渠道为 feishu、wecom、wecom_bot 或 wechaty`,
    );
  }
  return { channel: parsed.data, kind: head[1] ?? '', value: rest };
}

function parseArguments(argv: string[]): Arguments | 'help' {
  const read = readOptions(argv, { options: ['chat', 'identity', 'person', 'from', 'to', 'reason'] });
  if (read === 'help') return read;
  const { chat, identity, person, from, to, reason } = read.values;
  if ((chat === undefined) === (identity === undefined))
    throw new UsageError('请给出 --chat 或 --identity 之一');
  if (from === undefined) throw new UsageError('缺少 --from（原单位代码）');
  if (to === undefined) throw new UsageError('缺少 --to（新单位代码）');
  if (reason === undefined) throw new UsageError('缺少 --reason（转移原因，记入审计记录）');
  if (chat !== undefined) {
    if (person !== undefined) throw new UsageError('--person 只用于 --identity');
    const { channel, value } = split(chat, 2, 'chat');
    return { from, to, reason, chat: { channel, chatId: value } };
  }
  const { channel, kind, value } = split(identity!, 3, 'identity');
  if (channel === 'wecom_bot')
    throw new UsageError('企业微信智能机器人与自建应用共用成员的 userid，请写 --identity wecom:userid:<ID>');
  const kinds: readonly string[] = KINDS[channel];
  if (!kinds.includes(kind))
    throw new UsageError(`${channel} 的身份类型只能是 ${kinds.join(' 或 ')}，不是“${kind}”`);
  if (person === undefined) throw new UsageError('缺少 --person（新单位中接收此身份的人员代码）');
  return { from, to, reason, person, identity: { channel, kind, value } };
}

/** A refused move in words. */
function refusalText(refusal: MoveRefusal): string {
  switch (refusal.kind) {
    case 'same_tenant':
      return '--from 与 --to 是同一个单位，无需转移';
    case 'no_tenant':
      return `没有代码为“${refusal.code}”的单位`;
    case 'chat_not_bound':
      return `${refusal.tenant.name}（${refusal.tenant.code}）没有绑定${CLAIM_CHANNEL_NAMES[refusal.channel]}群“${refusal.chatId}”`;
    case 'identity_not_held':
      return `${refusal.tenant.name}（${refusal.tenant.code}）没有登记${CLAIM_CHANNEL_NAMES[refusal.channel]} ${refusal.idKind}“${refusal.value}”`;
    case 'no_person':
      return `${refusal.tenant.name}（${refusal.tenant.code}）没有代码为“${refusal.person}”的在册人员`;
  }
}

const explain = (error: unknown) =>
  error instanceof MoveError ? `${refusalText(error.refusal)}。未做任何改动。` : undefined;

export const command = defineCli(
  { name: 'org:move', usage: USAGE, parse: parseArguments, explain },
  async (args, cli) => {
    const database = await cli.database({
      missing: `数据目录 ${cli.config().dataDir} 不存在：请设置 DATA_DIR 或 DATABASE_URL。未做任何改动。`,
    });
    const request = {
      from: args.from,
      to: args.to,
      reason: args.reason,
      operator: `${userInfo().username}@${hostname()}`,
    };
    if ('chat' in args) {
      const done = await moveChat(database.db, { ...request, ...args.chat });
      cli.stdout(
        `已将群 ${args.chat.channel}:${args.chat.chatId} 从 ${done.fromName}（${args.from}）转到 ${done.toName}（${args.to}），已记入两个单位的审计记录。\n`,
      );
    } else {
      const done = await moveIdentity(database.db, { ...request, ...args.identity, person: args.person });
      cli.stdout(
        `已将 ${args.identity.channel} ${args.identity.kind} ${args.identity.value} 从 ${done.fromName}（${args.from}）` +
          `转给 ${done.toName}（${args.to}）的 ${done.personName}（${args.person}），已记入两个单位的审计记录。\n`,
      );
    }
    return 0;
  },
);

runIfMain(import.meta.url, command);
