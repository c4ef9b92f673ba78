// `npm run org:import` refusing a file that claims another tenant's chat and a member's ids, and
// `npm run org:move` moving one between tenants, audited in both (issue 14, item 2) — as their own
// processes (slow lane: each run starts Node and opens the database). The importer and the console's
// upload are tested in process in claims.test.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.ts';
import { auditEvents, chats, identities, people, tenants } from '../db/schema.ts';
import { built } from './helpers/built.ts';
import { bureauClaimingSchool, claimSnapshot, SCHOOL_CHAT, SCHOOL_NAME } from './helpers/claims.ts';
import { BUREAU } from './helpers/console-http.ts';
import { cliDatabase, exampleFile } from './helpers/db.ts';

describe('the command line', () => {
  const run = promisify(execFile);
  let cli: Awaited<ReturnType<typeof cliDatabase>>;
  let dir: string;
  beforeAll(async () => {
    // Both organizations loaded in this process: their import through the command line is
    // cli-org-import.test.ts's (and start.test.ts's); here the refusal and the moves are.
    cli = await cliDatabase(['school.yaml', 'bureau.yaml']);
    dir = mkdtempSync(join(tmpdir(), 'claims-cli-'));
  });
  afterAll(async () => {
    await cli.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const tool = (script: string, args: string[]) =>
    run('node', built(`cli/${script}`, ...args), {
      env: { PATH: process.env.PATH ?? '', ...cli.env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
    const database = await cli.open();
    try {
      return await work(database);
    } finally {
      await database.close();
    }
  }

  it('org:import refuses the claim; org:move moves a chat and an id, audited in both tenants', async () => {
    const file = join(dir, 'bureau.yaml');
    const claim = await withDatabase(async (database) => {
      const found = await bureauClaimingSchool(() => database);
      writeFileSync(file, found.source);
      return found;
    });
    const before = await withDatabase((database) => claimSnapshot(database.db));
    const refused = await tool('org-import', [file]);
    expect(refused.code).toBe(1);
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    lines.forEach((line, i) => {
      expect(line.startsWith(`${file}: ${claim.expected[i]}`), line).toBe(true);
      expect(line).not.toContain(SCHOOL_NAME);
    });
    expect(await withDatabase((database) => claimSnapshot(database.db))).toEqual(before);

    // org:move: usage, then the operator's move. Help and usage errors never open the database
    // (bot/cli/options.ts parses first), so these six run at once.
    const usage = [
      [],
      ['--chat', 'feishu:oc_x', '--from', 'a', '--to', 'b'],
      ['--chat', 'qq:oc_x', '--from', 'a', '--to', 'b', '--reason', 'x'],
      ['--identity', 'feishu:email:x', '--person', 'p', '--from', 'a', '--to', 'b', '--reason', 'x'],
      // The 智能机器人 knows members by their wecom userid: it has chats of its own, no ids.
      ['--identity', 'wecom_bot:userid:x', '--person', 'p', '--from', 'a', '--to', 'b', '--reason', 'x'],
      ['--chat', 'feishu:oc_x', '--identity', 'wecom:userid:x', '--from', 'a', '--to', 'b', '--reason', 'x'],
    ];
    const [help, ...wrongs] = await Promise.all([
      tool('org-move', ['--help']),
      ...usage.map((args) => tool('org-move', args)),
    ]);
    expect(help!.code).toBe(0);
    expect(help!.stdout).toContain('npm run org:move -- --chat');
    usage.forEach((args, i) => {
      const wrong = wrongs[i]!;
      expect(wrong.code, args.join(' ')).toBe(2);
      expect(wrong.stderr).toContain('用法：npm run org:move');
    });
    const reason = ['--reason', '该群移交教育局'];
    const wrongFrom = await tool('org-move', [
      '--chat',
      `feishu:${SCHOOL_CHAT}`,
      '--from',
      BUREAU,
      '--to',
      'jishan-school',
      ...reason,
    ]);
    expect(wrongFrom.code).toBe(1);
    expect(wrongFrom.stderr).toContain('没有绑定飞书群');
    expect(await withDatabase((database) => claimSnapshot(database.db))).toEqual(before);

    const chat = await tool('org-move', [
      '--chat',
      `feishu:${SCHOOL_CHAT}`,
      '--from',
      'jishan-school',
      '--to',
      BUREAU,
      ...reason,
    ]);
    expect(chat.code, chat.stderr).toBe(0);
    const identity = await tool('org-move', [
      '--identity',
      `feishu:open_id:${claim.ids.openId}`,
      '--person',
      'zhaoguoping',
      '--from',
      'jishan-school',
      '--to',
      BUREAU,
      '--reason',
      '调任教育局',
    ]);
    expect(identity.code, identity.stderr).toBe(0);
    expect(identity.stdout).toContain('赵国平');

    await withDatabase(async (database) => {
      const ids = Object.fromEntries(
        (await database.db.select().from(tenants)).map((tenant) => [tenant.code, tenant.id]),
      );
      const [moved] = await database.db.select().from(chats).where(eq(chats.chatId, SCHOOL_CHAT));
      expect(moved!.tenantId).toBe(ids[BUREAU]);
      const [id] = await database.db
        .select({ tenantId: identities.tenantId, person: people.code })
        .from(identities)
        .innerJoin(people, eq(people.id, identities.personId))
        .where(and(eq(identities.kind, 'open_id'), eq(identities.value, claim.ids.openId)));
      expect(id).toEqual({ tenantId: ids[BUREAU], person: 'zhaoguoping' });
      const trail = await database.db.select().from(auditEvents).orderBy(asc(auditEvents.id));
      expect(trail.map((row) => [row.tenantId, row.action, row.fromStatus, row.toStatus, row.note])).toEqual([
        [ids['jishan-school'], 'chat.moved', 'jishan-school', BUREAU, '该群移交教育局'],
        [ids[BUREAU], 'chat.moved', 'jishan-school', BUREAU, '该群移交教育局'],
        [ids['jishan-school'], 'identity.moved', 'jishan-school', BUREAU, '调任教育局'],
        [ids[BUREAU], 'identity.moved', 'jishan-school', BUREAU, '调任教育局'],
      ]);
      expect(trail[2]!.data).toMatchObject({
        value: claim.ids.openId,
        fromPerson: 'wangxiaofang',
        toPerson: 'zhaoguoping',
      });
      expect(String(trail[0]!.data?.operator)).toMatch(/.+@.+/);
    });

    // The school's file still names the moved id and chat: now the school's import is the one refused.
    const school = await tool('org-import', [exampleFile('school.yaml')]);
    expect(school.code).toBe(1);
    expect(school.stderr).toContain('feishu.open_id: 第 ');
    expect(school.stderr).toContain(`飞书群“${SCHOOL_CHAT}”已登记在另一个单位`);
  }, 240_000); // ~12 processes, each starting Node (and most opening the database)
});
