// The deployment files as text (no docker, no systemd here): what each must hold for the service to run
// unprivileged, be health-checked, receive SIGTERM itself and keep its data, without a secret in them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_VARIABLES } from '../bot/env.ts';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const SECRET = /SECRET|TOKEN|PASSWORD|ENCRYPT_KEY|AES_KEY|ACCESS_KEY/;
const START = ['node', '--enable-source-maps', 'dist/node.js'];
/** glibc's allocator settings (mallopt(3)), read by the C library at the process's start, not the service. */
const ALLOCATOR = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_'];

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions (continuation lines joined, comments dropped), split into stages by FROM. */
function dockerStages(text: string): Instruction[][] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Instruction[][] = [[]];
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') stages.push([]);
    stages.at(-1)!.push({ keyword: keyword.toUpperCase(), args: args.trim() });
  }
  return stages.filter((stage) => stage.length > 0 && stage[0]!.keyword === 'FROM');
}

/** ENV instructions' variables and values (both `ENV A=1 B=2` and `ENV A 1`). */
function envOf(stage: Instruction[]): [string, string][] {
  return stage
    .filter((i) => i.keyword === 'ENV')
    .flatMap((i): [string, string][] =>
      i.args.includes('=')
        ? [...i.args.matchAll(/(\w+)=(\S*)/g)].map((m) => [m[1]!, m[2]!])
        : [[i.args.split(/\s/)[0]!, i.args.split(/\s+/).slice(1).join(' ')]],
    );
}
const envNames = (stage: Instruction[]) => envOf(stage).map(([name]) => name);

/** A systemd unit's [Service] settings, each with all its values (a setting may be given many times). */
function unitSection(text: string, section: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    if (current !== section) continue;
    const at = line.indexOf('=');
    const key = line.slice(0, at);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(at + 1)]);
  }
  return settings;
}

describe('Dockerfile', () => {
  const stages = dockerStages(read('Dockerfile'));
  const [build, runtime] = [stages[0]!, stages.at(-1)!];
  const runs = (stage: Instruction[]) => stage.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const last = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword).at(-1);

  it('builds in one stage and runs the built output with production dependencies in a slim one', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(runs(build).join('\n')).toMatch(/npm ci\b/);
    expect(runs(build).join('\n')).toContain('npm run build');
    expect(read('Dockerfile')).toMatch(/^ARG NODE_IMAGE=node:(22|24)-(bookworm-)?slim$/m);
    expect(runtime[0]!.args).toMatch(/^\$\{NODE_IMAGE\}|^node:(22|24)-(bookworm-)?slim/);
    expect(runs(runtime).join('\n')).toMatch(/npm ci --omit=dev/);
    expect(runs(runtime).join('\n')).not.toContain('npm run build');
    const copies = runtime.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    expect(copies).toContain('--from=build /app/dist dist/');
    // The postinstall script patches the driver during npm ci: copied before it runs.
    const patch = runtime.findIndex(
      (i) => i.keyword === 'COPY' && i.args.includes('scripts/patch-postgres.mjs'),
    );
    const install = runtime.findIndex((i) => i.keyword === 'RUN' && i.args.includes('npm ci --omit=dev'));
    expect(patch).toBeGreaterThan(-1);
    expect(patch).toBeLessThan(install);
  });

  it('runs as an unprivileged user with its data in the /data volume', () => {
    expect(last(runtime, 'USER')?.args).toMatch(/^(?!root\b|0\b)\S+/);
    expect(last(runtime, 'VOLUME')?.args).toContain('/data');
    expect(runtime.find((i) => i.keyword === 'ENV' && /\bDATA_DIR=\/data\b/.test(i.args))).toBeDefined();
  });

  it('starts node in exec form, so SIGTERM reaches it, and checks its health with fetch', () => {
    expect(JSON.parse(last(runtime, 'CMD')!.args)).toEqual(START);
    expect(last(runtime, 'ENTRYPOINT')).toBeUndefined();
    expect(last(runtime, 'STOPSIGNAL')?.args).toBe('SIGTERM');
    expect(last(runtime, 'EXPOSE')?.args).toBe('3000');
    const health = last(runtime, 'HEALTHCHECK')!.args;
    const command = JSON.parse(health.slice(health.indexOf('CMD') + 3).trim());
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(command[2]).toMatch(/fetch\(.*\/healthz/);
  });

  it('holds no secret and sets only variables the service reads (or Node does)', () => {
    for (const stage of stages) {
      for (const name of envNames(stage)) {
        expect(SECRET.test(name), name).toBe(false);
        expect([...ENV_VARIABLES, 'NODE_ENV', ...ALLOCATOR], name).toContain(name);
      }
      expect(stage.filter((i) => i.keyword === 'ARG').map((i) => i.args)).not.toContainEqual(
        expect.stringMatching(SECRET),
      );
    }
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['.env', '.env.*', 'node_modules', 'data', '.git']) expect(ignored).toContain(entry);
  });
});

describe('the allocator settings', () => {
  it('are the same in the image and the unit, whose settings the start benchmark uses', () => {
    const image = envOf(dockerStages(read('Dockerfile')).at(-1)!).filter(([name]) =>
      ALLOCATOR.includes(name),
    );
    const unit = (
      unitSection(read('examples/systemd/yigang-shuangze.service'), 'Service').get('Environment') ?? []
    )
      .map((value) => value.split('=') as [string, string])
      .filter(([name]) => ALLOCATOR.includes(name));
    expect(image.map(([name]) => name).sort()).toEqual(ALLOCATOR);
    expect(Object.fromEntries(unit)).toEqual(Object.fromEntries(image));
  });
});

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml'));
  const { bot, postgres } = compose.services;

  it('runs the bot with its settings from .env and its data in a volume', () => {
    expect(bot.build).toBe('.');
    expect(bot.env_file).toEqual([{ path: '.env', required: false }]);
    expect(bot.environment.DATA_DIR).toBe('/data');
    expect(bot.volumes).toContainEqual(expect.stringMatching(/^[\w-]+:\/data$/));
    expect(Object.keys(compose.volumes)).toContain(bot.volumes[0].split(':')[0]);
    expect(bot.command).toBeUndefined();
    expect(bot.depends_on.postgres.required).toBe(false);
  });

  it('offers PostgreSQL under the postgres profile only, its password from .env', () => {
    expect(bot.profiles).toBeUndefined();
    expect(postgres.profiles).toEqual(['postgres']);
    expect(postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD[:-]*\}$/);
    expect(postgres.healthcheck.test).toContain('pg_isready');
  });

  it('holds no secret and sets only variables the service reads', () => {
    for (const [name, value] of Object.entries<string>(bot.environment)) {
      expect(ENV_VARIABLES, name).toContain(name);
      if (SECRET.test(name)) expect(value).toMatch(/^\$\{/);
    }
  });
});

describe('the systemd unit', () => {
  const unit = read('examples/systemd/yigang-shuangze.service');
  const service = unitSection(unit, 'Service');
  const one = (key: string) => service.get(key)?.at(-1);

  it('starts node on the built output and stops it with SIGTERM within 15 s', () => {
    const [binary, ...args] = one('ExecStart')!.split(/\s+/);
    expect(binary).toMatch(/\/node$/);
    expect(args[0]).toBe('--enable-source-maps');
    expect(args[1]).toMatch(/\/dist\/node\.js$/);
    expect(one('KillSignal') ?? 'SIGTERM').toBe('SIGTERM');
    expect(one('TimeoutStopSec')).toBe('15');
    expect(one('Restart')).toBe('on-failure');
  });

  it('runs unprivileged, hardened, writing only its data folder', () => {
    expect(one('User')).toMatch(/^(?!root$)\S+$/);
    expect(one('NoNewPrivileges')).toBe('true');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('MemoryDenyWriteExecute')).toBeUndefined(); // V8 needs it off
    const dataDir = service
      .get('Environment')
      ?.map((value) => /^DATA_DIR=(.+)$/.exec(value)?.[1])
      .find(Boolean);
    expect(dataDir).toBeDefined();
    expect(one('ReadWritePaths')?.split(/\s+/)).toContain(dataDir);
  });

  it('reads its settings from an EnvironmentFile and names only variables the service reads', () => {
    expect(one('EnvironmentFile')).toMatch(/^-?\//);
    for (const value of service.get('Environment') ?? []) {
      const name = value.split('=')[0]!;
      expect([...ENV_VARIABLES, 'NODE_ENV', ...ALLOCATOR], name).toContain(name);
      expect(SECRET.test(name), name).toBe(false);
    }
  });
});
