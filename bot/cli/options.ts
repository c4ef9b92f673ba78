// The command-line tools' one shape (defineCli: a command object whose `run(argv, io)` gives the exit
// code, callable in process by the tests) and their `--name value` / `--name=value` options, with errors in
// Chinese. Exit codes: 0 done, 1 a failure (bad file, missing tenant, database), 2 a wrong invocation (its
// message and the usage). `runIfMain` runs a tool's command when its file is the process's entry.
import { existsSync, realpathSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '../../db/client.ts';
import { type Config, ConfigError, parseConfig } from '../env.ts';

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

/** Where a tool reads and writes: the process's own by default, a test's in process. */
export interface CliIo {
  /** The environment the configuration is read from (`process.env` by default). */
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
  /** `process.stdin` by default; a terminal's has `isTTY`. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** An already opened database the tool uses instead of the configured one, and does not close. */
  database?: Database;
}

export interface CliContext {
  /** The environment the tool was given (its configuration is `config()`). */
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** The environment's configuration (loaded on first use: a bad one ends the tool with its message). */
  config(): Config;
  /**
   * The configured database (or the one given in `CliIo`), opened on first use and closed when the tool
   * ends. With `missing`, a PGlite data folder that does not exist yet is not created: the tool ends with
   * that message (exit 1). `migrate: false` opens it as it is (the doctor reports, a backup reads).
   */
  database(options?: { missing?: string; migrate?: false }): Promise<Database>;
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

/** A command-line tool: `run` parses `argv`, does the work and gives the exit code; it never exits. */
export interface CliCommand {
  name: string;
  usage: string;
  run(argv: string[], io?: Partial<CliIo>): Promise<number>;
}

const processIo = (): CliIo => ({
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
});

/**
 * A command-line tool: parses its arguments, runs `main` with them and closes the database it opened.
 * `run` gives the code `main` returns; a UsageError ends with its message and the usage (2), a CliError
 * with its message and code, a bad configuration or an expected failure (`explain`) with its message (1),
 * anything else with `<name> failed: …` (1).
 */
export function defineCli<A>(
  spec: CliSpec<A>,
  main: (args: A, cli: CliContext) => Promise<number>,
): CliCommand {
  const run = async (argv: string[], given: Partial<CliIo> = {}): Promise<number> => {
    const io = { ...processIo(), ...given };
    let config: Config | undefined;
    let opened: Promise<Database> | undefined;
    const cli: CliContext = {
      env: io.env,
      stdout: io.stdout,
      stderr: io.stderr,
      stdin: io.stdin ?? process.stdin,
      config: () => {
        config ??= parseConfig(io.env);
        return config;
      },
      database: async (options = {}) => {
        if (io.database) return io.database;
        if (!opened) {
          const { databaseUrl, dataDir } = cli.config();
          if (options.missing !== undefined && !databaseUrl && !existsSync(dataDir)) {
            throw new CliError(options.missing);
          }
          opened = openDatabase({ databaseUrl, dataDir, migrate: options.migrate });
        }
        return opened;
      },
    };
    try {
      const args = spec.parse(argv);
      if (args === 'help') {
        io.stdout(`${spec.usage}\n`);
        return 0;
      }
      return await main(args, cli);
    } catch (error) {
      io.stderr(`${failure(spec, error)}\n`);
      return error instanceof UsageError ? 2 : error instanceof CliError ? error.exitCode : 1;
    } finally {
      // A database that failed to open has nothing to close (its failure was the answer).
      if (opened)
        await opened.then(
          (database) => database.close(),
          () => {},
        );
    }
  };
  return { name: spec.name, usage: spec.usage, run };
}

/** A path without its extension, through symbolic links where it exists. */
function modulePath(path: string): string {
  let real = resolve(path);
  try {
    real = realpathSync(real);
  } catch {
    // Not there as given (`node bot/cli/x` without its extension): compared as it is.
  }
  return real.slice(0, real.length - extname(real).length);
}

/**
 * Runs `command` with the process's arguments and exits with its code, when the module at `url` (the
 * tool's `import.meta.url`) is the process's entry (`process.argv[1]`, with or without its extension):
 * `tsx bot/cli/x.ts`, `node dist/cli/x.js` (scripts/build.mjs leaves a tool's own `import.meta.url` its
 * output file's) and `npm run x` (scripts/start.mjs sets `process.argv[1]` to the built file). Imported
 * anywhere else (a test), it does nothing.
 */
export function runIfMain(url: string, command: CliCommand): void {
  const entry = process.argv[1];
  if (!entry || modulePath(fileURLToPath(url)) !== modulePath(entry)) return;
  command.run(process.argv.slice(2)).then((code) => process.exit(code));
}

function failure(spec: CliSpec<unknown>, error: unknown): string {
  if (error instanceof UsageError) return error.message ? `${error.message}\n${spec.usage}` : spec.usage;
  if (error instanceof CliError || error instanceof ConfigError) return error.message;
  const explained = spec.explain?.(error);
  if (explained !== undefined) return explained;
  return `${spec.name} failed: ${error instanceof Error ? error.message : String(error)}`;
}
