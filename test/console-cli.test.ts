// `npm run admin:add` as an operator runs it: the built CLI (dist/cli/admin-add.js) against a PGlite data folder (or the
// PostgreSQL server of TEST_DATABASE_URL).
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLogin } from '../bot/console/accounts.ts';
import { sessionAccount, startSession } from '../bot/console/sessions.ts';
import { adminAccounts, consoleSessions } from '../db/schema.ts';
import { built } from './helpers/built.ts';
import { cliDatabase } from './helpers/db.ts';

let cli: Awaited<ReturnType<typeof cliDatabase>>;

beforeAll(async () => {
  cli = await cliDatabase(['school.yaml']);
});
afterAll(async () => {
  await cli.remove();
});

function adminAdd(args: string[], options: { password?: string; stdin?: string } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('node', built('cli/admin-add', ...args), {
      env: {
        PATH: process.env.PATH ?? '',
        ...cli.env,
        ...(options.password !== undefined ? { ADMIN_PASSWORD: options.password } : {}),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.stdin.end(options.stdin ?? '');
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function accounts() {
  const database = await cli.open();
  try {
    return await database.db.select().from(adminAccounts).orderBy(adminAccounts.id);
  } finally {
    await database.close();
  }
}

describe('npm run admin:add', () => {
  it('refuses a short password, an unknown tenant and a password on the command line, writing nothing', async () => {
    const short = await adminAdd(['--tenant', 'jishan-school', '--user', 'office'], { password: 'short1' });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('密码太短：至少需要 10 个字符');

    const unknown = await adminAdd(['--tenant', 'no-such-school', '--user', 'office'], {
      password: 'a long enough password',
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('没有代码为“no-such-school”的单位（已有：jishan-school）');

    const inArgv = await adminAdd(['--tenant', 'jishan-school', '--user', 'office', '--password', 'x']);
    expect(inArgv.code).toBe(2);
    expect(inArgv.stderr).toContain('不接受命令行中的密码');

    const missing = await adminAdd(['--user', 'office'], { password: 'a long enough password' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('缺少 --tenant');

    expect(await accounts()).toHaveLength(0);
  }, 90_000);

  it('creates an account from ADMIN_PASSWORD or stdin, refuses a duplicate, and resets with --reset', async () => {
    const created = await adminAdd(['--tenant', 'jishan-school', '--user', 'office', '--name', '周尹尹'], {
      password: 'correct horse battery',
    });
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('已创建 昆山市花桥集善中学（jishan-school）的管理员 office（周尹尹）');

    const piped = await adminAdd(['--tenant', 'jishan-school', '--user', 'deputy'], {
      stdin: 'password from stdin\n',
    });
    expect(piped.code).toBe(0);

    const duplicate = await adminAdd(['--tenant', 'jishan-school', '--user', 'office'], {
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
    const before = await cli.open();
    const started = new Date();
    const sessions = await Promise.all(rows.map((row) => startSession(before.db, row, '127.0.0.1', started)));
    await before.close();

    const reset = await adminAdd(['--tenant', 'jishan-school', '--user', 'office', '--reset'], {
      password: 'a brand new password',
    });
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('已重设');
    expect(await accounts()).toHaveLength(2);
    const database = await cli.open();
    try {
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
    } finally {
      await database.close();
    }
  }, 90_000);
});
