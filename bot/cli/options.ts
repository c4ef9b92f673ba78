// The command-line tools' one runner (runCli) and their `--name value` / `--name=value` options, with
// errors in Chinese. Exit codes: 0 done, 1 a failure (bad file, missing tenant, database), 2 a wrong
// invocation (its message and the usage).
import { existsSync } from 'node:fs';
import { type Database, openDatabase } from '../../db/client.ts';
import { type Config, ConfigError, loadConfig } from '../env.ts';

/** A wrong invocation: the tools answer with exit code 2, the message and their usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure whose message is the whole answer: printed as it is, the tool ends with `exitCode`. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface OptionSpec<O extends string> {
  options: readonly O[];
  /** Options without a value, e.g. --reset. */
  flags?: readonly string[];
  /** Options refused outright, with the reason (e.g. a password on the command line). */
  refused?: Record<string, string>;
}

/** Reads the options; 'help' for --help/-h. Each value is trimmed, given once and not empty. */
export function readOptions<O extends string>(
  argv: string[],
  spec: OptionSpec<O>,
): { values: Partial<Record<O, string>>; flags: Set<string> } | 'help' {
  const values: Partial<Record<O, string>> = {};
  const flags = new Set<string>();
  const known = [...spec.options, ...(spec.flags ?? [])];
  for (let index = 0; index < argv.length; index += 1) {
    const token = argv[index]!;
    if (token === '--help' || token === '-h') return 'help';
    if (!token.startsWith('--')) throw new UsageError(`多余的参数“${token}”`);
    const equals = token.indexOf('=');
    const name = token.slice(2, equals === -1 ? undefined : equals);
    const refusal = spec.refused?.[name];
    if (refusal) throw new UsageError(refusal);
    if (spec.flags?.includes(name) && equals === -1) {
      flags.add(name);
      continue;
    }
    if (!(spec.options as readonly string[]).includes(name)) {
      throw new UsageError(`未知的选项 --${name}（可用：${known.map((option) => `--${option}`).join(' ')}）`);
    }
    let value: string | undefined;
    if (equals !== -1) value = token.slice(equals + 1);
    else {
      const next = argv[index + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        index += 1;
      }
    }
    if (value === undefined || value.trim() === '') throw new UsageError(`选项 --${name} 缺少取值`);
    if (values[name as O] !== undefined) throw new UsageError(`选项 --${name} 重复给出`);
    values[name as O] = value.trim();
  }
  return { values, flags };
}

/**
 * `<file> [options]`: the file first, then the options; 'help' for --help/-h. No file, or an option in
 * its place, is a wrong invocation answered with the usage alone.
 */
export function readFileAndOptions<O extends string>(
  argv: string[],
  spec: OptionSpec<O>,
): ({ file: string } & Exclude<ReturnType<typeof readOptions<O>>, 'help'>) | 'help' {
  const [file, ...rest] = argv;
  if (file === '--help' || file === '-h') return 'help';
  if (!file || file.startsWith('--')) throw new UsageError('');
  const options = readOptions(rest, spec);
  return options === 'help' ? 'help' : { file, ...options };
}

export interface CliContext {
  /** The environment's configuration (loaded on first use: a bad one ends the tool with its message). */
  config(): Config;
  /**
   * The configured database, opened on first use and closed when the tool ends. With `missing`, a
   * PGlite data folder that does not exist yet is not created: the tool ends with that message (exit 1).
   */
  database(options?: { missing?: string }): Promise<Database>;
}

export interface CliSpec<A> {
  /** `org:import`: names the tool in `<name> failed: …`. */
  name: string;
  usage: string;
  /** The arguments, or 'help' for --help (the usage on stdout, exit 0); a UsageError exits 2. */
  parse: (argv: string[]) => A | 'help';
  /** The message of a failure the tool expects (a bad file…), or undefined for "<name> failed: …". */
  explain?: (error: unknown) => string | undefined;
}

/**
 * Runs a command-line tool: parses its arguments, runs `main` with them, closes the database it opened
 * and exits with the code `main` returns. A UsageError ends with its message and the usage (exit 2), a
 * CliError with its message and code, a bad configuration or an expected failure (`explain`) with its
 * message (exit 1), anything else with `<name> failed: …` (exit 1).
 */
export function runCli<A>(spec: CliSpec<A>, main: (args: A, cli: CliContext) => Promise<number>): void {
  let config: Config | undefined;
  let database: Promise<Database> | undefined;
  const cli: CliContext = {
    config: () => {
      config ??= loadConfig();
      return config;
    },
    database: (options = {}) => {
      if (!database) {
        const { databaseUrl, dataDir } = cli.config();
        if (options.missing !== undefined && !databaseUrl && !existsSync(dataDir)) {
          throw new CliError(options.missing);
        }
        database = openDatabase({ databaseUrl, dataDir });
      }
      return database;
    },
  };
  const run = async (): Promise<number> => {
    const args = spec.parse(process.argv.slice(2));
    if (args === 'help') {
      process.stdout.write(`${spec.usage}\n`);
      return 0;
    }
    try {
      return await main(args, cli);
    } finally {
      if (database) await (await database).close();
    }
  };
  run().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${failure(spec, error)}\n`);
      process.exit(error instanceof UsageError ? 2 : error instanceof CliError ? error.exitCode : 1);
    },
  );
}

function failure(spec: CliSpec<unknown>, error: unknown): string {
  if (error instanceof UsageError) return error.message ? `${error.message}\n${spec.usage}` : spec.usage;
  if (error instanceof CliError || error instanceof ConfigError) return error.message;
  const explained = spec.explain?.(error);
  if (explained !== undefined) return explained;
  return `${spec.name} failed: ${error instanceof Error ? error.message : String(error)}`;
}
