// npm run admin:add -- --tenant <code> --user <name> [--name 显示名] [--reset]
// Creates a web-console admin account of a tenant (with --reset: sets a new password for an existing
// one). The password is read from ADMIN_PASSWORD, else from stdin (typed without echo on a terminal),
// never from the command line, where other users and the shell history would see it.
// Bad input is reported precisely (exit 2) and nothing is written.

import type { ReadStream } from 'node:tty';
import { AdminAccountError, addAdminAccount } from '../console/accounts.ts';
import { passwordProblem } from '../console/auth.ts';
import { type CliContext, CliError, defineCli, readOptions, runIfMain, UsageError } from './options.ts';

const USAGE =
  '用法：ADMIN_PASSWORD=<密码> npm run admin:add -- --tenant <单位代码> --user <用户名> [--name <显示名>] [--reset]\n' +
  '      （未设置 ADMIN_PASSWORD 时从标准输入读取密码）';

interface Arguments {
  tenant: string;
  user: string;
  name?: string;
  reset: boolean;
}

function parseArguments(argv: string[]): Arguments | 'help' {
  const read = readOptions(argv, {
    options: ['tenant', 'user', 'name'],
    flags: ['reset'],
    refused: { password: '不接受命令行中的密码：请用环境变量 ADMIN_PASSWORD 或标准输入' },
  });
  if (read === 'help') return read;
  const { values, flags } = read;
  if (values.tenant === undefined) throw new UsageError('缺少 --tenant');
  if (values.user === undefined) throw new UsageError('缺少 --user');
  return { tenant: values.tenant, user: values.user, name: values.name, reset: flags.has('reset') };
}

/** The whole of stdin, without its final line break. */
async function readPiped(input: CliContext['stdin']): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** A line typed on the terminal, not echoed. */
function readHidden(cli: CliContext, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = cli.stdin as ReadStream;
    cli.stderr(prompt);
    let typed = '';
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      cli.stderr('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: string) => {
      for (const ch of data) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new UsageError('已取消'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    input.on('data', onData);
  });
}

async function readPassword(cli: CliContext): Promise<string> {
  const fromEnv = cli.env.ADMIN_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (cli.stdin.isTTY) {
    const first = await readHidden(cli, '密码：');
    const second = await readHidden(cli, '再次输入密码：');
    if (first !== second) throw new UsageError('两次输入的密码不一致');
    return first;
  }
  return readPiped(cli.stdin);
}

export const command = defineCli(
  { name: 'admin:add', usage: USAGE, parse: parseArguments },
  async (args, cli) => {
    let password: string;
    try {
      password = await readPassword(cli);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      cli.stderr(`${error.message}\n`);
      return 2;
    }
    if (password === '') {
      cli.stderr(`没有给出密码：请设置 ADMIN_PASSWORD，或从标准输入提供\n${USAGE}\n`);
      return 2;
    }
    const weak = passwordProblem(password);
    if (weak) {
      cli.stderr(`${weak}\n`);
      return 2;
    }

    const database = await cli.database();
    try {
      const { account, tenant, created } = await addAdminAccount(database.db, {
        tenantCode: args.tenant,
        username: args.user,
        displayName: args.name,
        password,
        reset: args.reset,
      });
      cli.stdout(
        created
          ? `已创建 ${tenant.name}（${tenant.code}）的管理员 ${account.username}（${account.displayName}）。\n`
          : `已重设 ${tenant.name}（${tenant.code}）的管理员 ${account.username} 的密码。\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof AdminAccountError) throw new CliError(error.message, 2);
      throw error;
    }
  },
);

runIfMain(import.meta.url, command);
