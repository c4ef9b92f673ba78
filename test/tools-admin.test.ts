// `npm run admin:add` run in process on the test database (test/helpers/cli.ts): the password from
// ADMIN_PASSWORD or piped on stdin, the refusals (exit 2, nothing written), --reset. The built tool as a
// process is cli-process.test.ts's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command as adminAdd } from '../bot/cli/admin-add.ts';
import { checkLogin } from '../bot/console/accounts.ts';
import { sessionAccount, startSession } from '../bot/console/sessions.ts';
import type { Database } from '../db/client.ts';
import { adminAccounts, consoleSessions } from '../db/schema.ts';
import { runTool } from './helpers/cli.ts';
import { openTestDatabase, seedExample } from './helpers/db.ts';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
  // The two tests run in order on the same school: the second's accounts follow the first's refusals.
  await seedExample(database);
});
afterAll(async () => {
  await database.close();
});

const add = (args: string[], options: { password?: string; stdin?: string } = {}) =>
  runTool(adminAdd, args, {
    database,
    env: options.password !== undefined ? { ADMIN_PASSWORD: options.password } : {},
    stdin: options.stdin,
  });

const accounts = () => database.db.select().from(adminAccounts).orderBy(adminAccounts.id);

describe('npm run admin:add', () => {
  it('refuses a short password, an unknown tenant and a password on the command line, writing nothing', async () => {
    const short = await add(['--tenant', 'jishan-school', '--user', 'office'], { password: 'short1' });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('密码太短：至少需要 10 个字符');

    const unknown = await add(['--tenant', 'no-such-school', '--user', 'office'], {
      password: 'a long enough password',
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('没有代码为“no-such-school”的单位（已有：jishan-school）');

    const inArgv = await add(['--tenant', 'jishan-school', '--user', 'office', '--password', 'x']);
    expect(inArgv.code).toBe(2);
    expect(inArgv.stderr).toContain('不接受命令行中的密码');

    const missing = await add(['--user', 'office'], { password: 'a long enough password' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('缺少 --tenant');

    expect(await accounts()).toHaveLength(0);
  });

  it('creates an account from ADMIN_PASSWORD or stdin, refuses a duplicate, and resets with --reset', async () => {
    const created = await add(['--tenant', 'jishan-school', '--user', 'office', '--name', '周尹尹'], {
      password: 'correct horse battery',
    });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('已创建 昆山市花桥集善中学（jishan-school）的管理员 office（周尹尹）');

    const piped = await add(['--tenant', 'jishan-school', '--user', 'deputy'], {
      stdin: 'password from stdin\n',
    });
    expect(piped.code, piped.stderr).toBe(0);

    const duplicate = await add(['--tenant', 'jishan-school', '--user', 'office'], {
      password: 'another long password',
    });
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toContain('已有用户“office”');

    const rows = await accounts();
    expect(rows.map((row) => [row.username, row.displayName])).toEqual([
      ['office', '周尹尹'],
      ['deputy', 'deputy'],
    ]);
    expect(rows[0]!.passwordHash).toMatch(/^scrypt\$/);
    expect(rows[0]!.passwordHash).not.toContain('correct horse');

    // A session of each account, started before the reset.
    const started = new Date();
    const sessions = await Promise.all(
      rows.map((row) => startSession(database.db, row, '127.0.0.1', started)),
    );

    const reset = await add(['--tenant', 'jishan-school', '--user', 'office', '--reset'], {
      password: 'a brand new password',
    });
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('已重设');
    expect(await accounts()).toHaveLength(2);
    const now = new Date();
    expect(
      await checkLogin(database.db, 'jishan-school', 'office', 'a brand new password', now),
    ).toBeDefined();
    expect(
      await checkLogin(database.db, 'jishan-school', 'office', 'correct horse battery', now),
    ).toBeUndefined();
    expect(
      await checkLogin(database.db, 'jishan-school', 'deputy', 'password from stdin', now),
    ).toBeDefined();
    // The reset ended office's session (on every instance: the row is gone), not deputy's.
    expect(await database.db.select().from(consoleSessions)).toHaveLength(1);
    expect(await sessionAccount(database.db, sessions[0]!.token, now)).toBeUndefined();
    expect((await sessionAccount(database.db, sessions[1]!.token, now))?.account.username).toBe('deputy');
  });
});
