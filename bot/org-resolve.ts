// The people of an organization file found on the platforms by their mobile or e-mail, before anything
// is written (`npm run org:import`, `npm run org:resolve`, the console's upload): Feishu's batch_get_id
// gives the open_id of this app, WeCom's getuserid / get_userid_by_email the userid (which the
// 智能机器人 shares). Wechaty has no lookup. Every person not found is listed with the reason.
import { CLAIM_CHANNEL_NAMES, type FoundId, type OrgFile, withFoundIds } from '../handlers/org-file.ts';
import { type ContactKey, contactKey, type Directory, type LookupFailure } from './channels/directory.ts';
import { feishuDirectory } from './channels/feishu/directory.ts';
import { createFeishuClient } from './channels/feishu/sender.ts';
import { createWecomApi } from './channels/wecom/api.ts';
import { wecomDirectory } from './channels/wecom/directory.ts';
import type { Config } from './env.ts';

type LookupChannel = 'feishu' | 'wecom';

/** One person looked up on one platform. */
export interface Lookup {
  person: number;
  code: string;
  name: string;
  channel: LookupChannel;
  key: ContactKey;
  found?: string;
  /** `taken`: the id found is another person's in the same file. */
  failure?: LookupFailure | 'taken';
  detail?: string;
}

export interface Resolution {
  /** The file with the ids found filled in: what is imported. */
  org: OrgFile;
  found: FoundId[];
  lookups: Lookup[];
  unresolved: Lookup[];
  /** What the operator should know although nothing failed (Chinese, one line each). */
  warnings: string[];
}

export interface Directories {
  feishu?: Directory;
  wecom?: Directory;
  /** Channels on which people are reached without a lookup of their own (warned about). */
  wecomBot?: boolean;
  wechaty?: boolean;
}

/** The lookups of the channels the configuration turns on. */
export function platformDirectories(config: Pick<Config, 'feishu' | 'wecom' | 'wecomBot' | 'wechaty'>) {
  return {
    feishu: config.feishu && feishuDirectory(createFeishuClient(config.feishu).client),
    wecom: config.wecom && wecomDirectory(createWecomApi({ config: config.wecom })),
    wecomBot: Boolean(config.wecomBot),
    wechaty: Boolean(config.wechaty),
  } satisfies Directories;
}

const KIND = { feishu: 'open_id', wecom: 'userid' } as const;

export const FAILURE_TEXT: Record<NonNullable<Lookup['failure']>, string> = {
  not_found: '通讯录中没有这个手机号或邮箱',
  out_of_range: '此人不在应用的可见范围内',
  not_found_or_out_of_range: '未查到：通讯录中没有这个手机号或邮箱，或此人不在应用的可用范围内',
  no_permission: '应用缺少查询通讯录的权限',
  untrusted_ip: '本机的出口 IP 不在企业微信的“企业可信IP”中',
  failed: '查询失败',
  taken: '查到的账号已是文件中另一人的账号',
};

/** What to do about a failure, once per kind of failure and channel. */
const FIX_TEXT: Record<LookupChannel, Partial<Record<NonNullable<Lookup['failure']>, string>>> = {
  feishu: {
    not_found_or_out_of_range:
      '飞书：核对手机号（中国大陆以外的号码须带 +国家码）或邮箱；在开发者后台 → 版本管理与发布 → 可用范围中加入这些人，发布新版本后重新导入',
    no_permission:
      '飞书：在开发者后台 → 权限管理开通“通过手机号或邮箱获取用户 ID”（contact:user.id:readonly），发布新版本后重新导入',
    failed: '飞书：检查 FEISHU_APP_ID、FEISHU_APP_SECRET 与网络',
  },
  wecom: {
    not_found: '企业微信：核对手机号或邮箱与通讯录中的是否一致',
    out_of_range: '企业微信：在管理后台 → 应用管理 → 本应用 → 可见范围中加入这些人后重新导入',
    no_permission: '企业微信：应用须能查看这些成员（可见范围），并使用自建应用的 Secret',
    untrusted_ip: '企业微信：在管理后台 → 应用管理 → 本应用 → 企业可信IP中加入本机的出口 IP 后重新导入',
    failed: '企业微信：检查 WECOM_CORP_ID、WECOM_SECRET 与网络',
  },
};

export function describeLookup(lookup: Lookup): string {
  const by = lookup.key.by === 'mobile' ? '手机号' : '邮箱';
  const what = lookup.failure ? FAILURE_TEXT[lookup.failure] : `找到 ${KIND[lookup.channel]} ${lookup.found}`;
  const detail = lookup.detail ? `（${lookup.detail}）` : '';
  return `${lookup.code}（${lookup.name}）${CLAIM_CHANNEL_NAMES[lookup.channel]} ${by} ${lookup.key.value}：${what}${detail}`;
}

/** The unresolved people, then the warnings, then what to do: the lines an operator reads. */
export function resolutionReport(resolution: Resolution): string[] {
  const lines: string[] = [];
  if (resolution.unresolved.length > 0) {
    lines.push(
      `${resolution.unresolved.length} 人次未能按手机号或邮箱找到账号（导入后暂不能在该平台上联系他们）：`,
    );
    for (const lookup of resolution.unresolved) lines.push(`  ${describeLookup(lookup)}`);
    const fixes = new Set(
      resolution.unresolved.flatMap((lookup) => FIX_TEXT[lookup.channel][lookup.failure!] ?? []),
    );
    if (resolution.unresolved.some((lookup) => lookup.failure === 'taken')) {
      fixes.add('重复账号：核对这些人的手机号或邮箱，或删去文件中写错的 open_id / userid');
    }
    lines.push('处理办法：', ...[...fixes].map((fix) => `  ${fix}`));
  }
  lines.push(...resolution.warnings);
  return lines;
}

/** A person's keys to try, in order: the mobile, then the e-mail. */
const keysOf = (person: OrgFile['people'][number]): ContactKey[] => [
  ...(person.mobile ? [{ by: 'mobile' as const, value: person.mobile }] : []),
  ...(person.email ? [{ by: 'email' as const, value: person.email }] : []),
];

const hasId = (person: OrgFile['people'][number], channel: LookupChannel) =>
  channel === 'feishu' ? Boolean(person.feishu?.open_id) : Boolean(person.wecom?.userid);

/** Looks the file's people up on one channel: each by their first key, then by the next if not found. */
async function lookUp(org: OrgFile, channel: LookupChannel, directory: Directory): Promise<Lookup[]> {
  const pending = org.people.flatMap((person, index) =>
    hasId(person, channel) || keysOf(person).length === 0 ? [] : [{ person, index, keys: keysOf(person) }],
  );
  const done: Lookup[] = [];
  for (let round = 0; pending.length > 0; round += 1) {
    const asked = pending.filter((item) => item.keys[round]);
    if (asked.length === 0) break;
    const outcomes = await directory(asked.map((item) => item.keys[round]!));
    for (const item of asked) {
      const key = item.keys[round]!;
      const outcome = outcomes.get(contactKey(key)) ?? { failure: 'failed' as const };
      const lookup: Lookup = {
        person: item.index,
        code: item.person.code,
        name: item.person.name,
        channel,
        key,
      };
      if ('id' in outcome) lookup.found = outcome.id;
      else Object.assign(lookup, { failure: outcome.failure, detail: outcome.detail });
      const more = lookup.failure?.startsWith('not_found') && item.keys[round + 1];
      if (!more) {
        done.push(lookup);
        pending.splice(pending.indexOf(item), 1);
      }
    }
    for (const item of pending.filter((item) => !item.keys[round])) pending.splice(pending.indexOf(item), 1);
  }
  return done.sort((a, b) => a.person - b.person);
}

/** A found id that is already another person's (given in the file, or found for them) is refused. */
function refuseTaken(org: OrgFile, lookups: Lookup[]) {
  const owner = new Map<string, number>();
  org.people.forEach((person, index) => {
    if (person.feishu?.open_id) owner.set(`feishu:${person.feishu.open_id}`, index);
    if (person.wecom?.userid) owner.set(`wecom:${person.wecom.userid}`, index);
  });
  for (const lookup of lookups) {
    if (!lookup.found) continue;
    const key = `${lookup.channel}:${lookup.found}`;
    const other = owner.get(key);
    if (other !== undefined && other !== lookup.person) {
      lookup.detail = `${KIND[lookup.channel]} ${lookup.found} 属于 ${org.people[other]!.code}`;
      lookup.failure = 'taken';
      lookup.found = undefined;
    } else owner.set(key, lookup.person);
  }
}

function warningsOf(org: OrgFile, directories: Directories): string[] {
  const warnings: string[] = [];
  const names = (people: OrgFile['people']) =>
    people
      .slice(0, 10)
      .map((person) => `${person.code}（${person.name}）`)
      .join('、') + (people.length > 10 ? ` 等 ${people.length} 人` : '');
  const userIdOnly = org.people.filter((person) => person.feishu?.user_id && !person.feishu.open_id);
  if (userIdOnly.length > 0) {
    warnings.push(
      `注意：${names(userIdOnly)} 只有飞书 user_id。飞书只在应用开通“获取用户 user ID”权限（contact:user.employee_id:readonly）时才在消息中附带 user_id，` +
        '否则这些人发来的消息会被当作外部人员、发给他们的消息会被拒绝。请为他们填写 mobile（导入时自动查出 open_id），或确认已开通该权限。',
    );
  }
  const withContact = (channel: LookupChannel) =>
    org.people.filter((person) => keysOf(person).length > 0 && !hasId(person, channel));
  if (!directories.feishu && !directories.wecom && withContact('feishu').length > 0) {
    warnings.push(
      `注意：文件为 ${withContact('feishu').length} 人填写了手机号或邮箱，但本机未配置飞书（FEISHU_APP_ID、FEISHU_APP_SECRET）或企业微信自建应用（WECOM_CORP_ID 等），` +
        '未据此查找账号；请在配置了平台凭据的环境中导入，或用 npm run org:resolve 查出账号。',
    );
  }
  if (directories.wecomBot && !directories.wecom && withContact('wecom').length > 0) {
    warnings.push(
      '注意：企业微信智能机器人没有通讯录接口，按手机号查找 userid 需要企业微信自建应用的凭据（WECOM_CORP_ID、WECOM_AGENT_ID、WECOM_SECRET 等）；或在文件中填写 wecom.userid。',
    );
  }
  const noWechaty = org.people.filter((person) => !person.wechaty?.id);
  if (directories.wechaty && noWechaty.length > 0) {
    warnings.push(
      `注意：微信（Wechaty）没有按手机号查找联系人的接口，${names(noWechaty)} 没有 wechaty.id，在微信中发来的消息会被当作外部人员；请在文件中填写 wechaty.id。`,
    );
  }
  return warnings;
}

/** Looks up every person the file gives a mobile or e-mail but no id of a configured channel. */
export async function resolveOrgPeople(org: OrgFile, directories: Directories): Promise<Resolution> {
  const lookups: Lookup[] = [];
  for (const channel of ['feishu', 'wecom'] as const) {
    const directory = directories[channel];
    if (directory) lookups.push(...(await lookUp(org, channel, directory)));
  }
  refuseTaken(org, lookups);
  const found: FoundId[] = lookups.flatMap((lookup) =>
    lookup.found
      ? [{ person: lookup.person, channel: lookup.channel, kind: KIND[lookup.channel], value: lookup.found }]
      : [],
  );
  const resolved = withFoundIds(org, found);
  return {
    org: resolved,
    found,
    lookups,
    unresolved: lookups.filter((lookup) => lookup.failure),
    warnings: warningsOf(resolved, directories),
  };
}
