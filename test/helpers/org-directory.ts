// The example school as the platforms' directories know it (for the fakes' contact lookups), and the
// school's file with its platform ids left out: people given by their mobile only.
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { FakeFeishuUser } from '../fakes/feishu-api.ts';
import type { FakeWecomMember } from '../fakes/wecom-api.ts';
import { exampleFile } from './db.ts';

interface SchoolPerson {
  code: string;
  mobile: string;
  feishu: { open_id: string; user_id: string };
  wecom: { userid: string };
  wechaty?: { id: string };
}

const school = () => parse(readFileSync(exampleFile('school.yaml'), 'utf8')) as { people: SchoolPerson[] };

/** The school's people as Feishu's and WeCom's directories hold them (all in the apps' ranges). */
export function schoolDirectories(): { feishu: FakeFeishuUser[]; wecom: FakeWecomMember[] } {
  const { people } = school();
  return {
    feishu: people.map((person) => ({
      userId: person.feishu.user_id,
      openId: person.feishu.open_id,
      mobile: person.mobile,
    })),
    wecom: people.map((person) => ({ userid: person.wecom.userid, mobile: person.mobile })),
  };
}

/** examples/school.yaml with every Feishu and WeCom id removed: the people are given by mobile only. */
export function schoolWithMobilesOnly(): string {
  const document = school() as { people: Partial<SchoolPerson>[] };
  for (const person of document.people) {
    delete person.feishu;
    delete person.wecom;
  }
  return stringify(document);
}
