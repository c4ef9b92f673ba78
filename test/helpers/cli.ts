// A command-line tool run in the test's own process (bot/cli/options.ts `defineCli`): its exit code and
// what it wrote, on the test's database when one is given (the tool uses it and does not close it).
// Whether the built tools work as processes is cli-process.test.ts's.
import { Readable } from 'node:stream';
import type { CliCommand } from '../../bot/cli/options.ts';
import type { Database } from '../../db/client.ts';

export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` with `argv`: the environment is `env` alone (not the test process's), stdin `stdin`
 * piped (not a terminal; empty by default, as a spawned tool's closed stdin).
 */
export async function runTool(
  command: CliCommand,
  argv: string[],
  options: { env?: Record<string, string | undefined>; database?: Database; stdin?: string } = {},
): Promise<ToolRun> {
  let stdout = '';
  let stderr = '';
  const code = await command.run(argv, {
    env: options.env ?? {},
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    database: options.database,
  });
  return { code, stdout, stderr };
}
