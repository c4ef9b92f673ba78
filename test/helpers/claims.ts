// What the claim tests share (claims.test.ts in process, tools-org.test.ts through the command line): the
// school's chat and name, a bureau file claiming them, and a snapshot of everything an import could change.
import { readFileSync } from 'node:fs';
import { asc } from 'drizzle-orm';
import { parse, stringify } from 'yaml';
import type { Database, Db } from '../../db/client.ts';
import { chats, identities, people, tenants } from '../../db/schema.ts';
import { exampleFile, identityOf } from './db.ts';

export const SCHOOL_CHAT = 'oc_jishan_safety';
export const SCHOOL_NAME = '昆山市花桥集善中学';
const read = (name: string) => readFileSync(exampleFile(name), 'utf8');

/** The line (1-based) of the first line of `source` containing `text`. */
const lineOf = (source: string, text: string) =>
  source.split('\n').findIndex((line) => line.includes(text)) + 1;

/** The bureau's own file, plus a person holding the school principal's ids and the school's group chat. */
export async function bureauClaimingSchool(open: () => Promise<Database> | Database) {
  const database = await open();
  const ids = {
    openId: await identityOf(database, 'wangxiaofang', 'open_id'),
    userid: await identityOf(database, 'wangxiaofang', 'userid'),
  };
  const document = parse(read('bureau.yaml'));
  document.people.push({
    code: 'mao-ming',
    name: '冒名者',
    feishu: { open_id: ids.openId },
    wecom: { userid: ids.userid },
  });
  document.chats = [{ channel: 'feishu', id: SCHOOL_CHAT, name: '集善中学安全工作群' }];
  const source = stringify(document);
  const index = document.people.length - 1;
  return {
    source,
    index,
    ids,
    expected: [
      `people[${index}].feishu.open_id: 第 ${lineOf(source, ids.openId)} 行：飞书 open_id“${ids.openId}”已登记在另一个单位`,
      `people[${index}].wecom.userid: 第 ${lineOf(source, `userid: ${ids.userid}`)} 行：企业微信 userid“${ids.userid}”已登记在另一个单位`,
      `chats[0].id: 第 ${lineOf(source, SCHOOL_CHAT)} 行：飞书群“${SCHOOL_CHAT}”已登记在另一个单位`,
    ],
  };
}

/** Everything an import could change about chats, identities, people and tenants. */
export async function claimSnapshot(db: Db) {
  return {
    tenants: await db.select().from(tenants).orderBy(asc(tenants.id)),
    people: await db.select().from(people).orderBy(asc(people.id)),
    identities: await db.select().from(identities).orderBy(asc(identities.id)),
    chats: await db.select().from(chats).orderBy(asc(chats.id)),
  };
}
