// `--name value` / `--name=value` options of the command-line tools, with errors in Chinese.
import { ConfigError } from '../env.ts';

/** A wrong invocation: the tools answer with exit code 2, the message and their usage. */
export class UsageError extends Error {
  override name = 'UsageError';
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
 * A tool's arguments, or the exit code it ends with at once: 0 after printing its usage for --help,
 * 2 after a usage error with its message and usage.
 */
export function parseCommandLine<A>(
  argv: string[],
  parse: (argv: string[]) => A | 'help',
  usage: string,
): { args: A } | { exit: number } {
  let args: A | 'help';
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${usage}\n`);
    return { exit: 2 };
  }
  if (args === 'help') {
    process.stdout.write(`${usage}\n`);
    return { exit: 0 };
  }
  return { args };
}

/**
 * Runs a tool and exits with the code it returns. A bad configuration ends with its message, anything
 * unexpected with `<name> failed: …`; both exit 1.
 */
export function runTool(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
      else
        process.stderr.write(`${name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
