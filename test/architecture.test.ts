// The floors of ARCHITECTURE.md, enforced: every product file (bot/ handlers/ db/ jobs/ cards/ and the
// tools in bench/ scripts/) may import only files on its own floor or a lower one, and no product files
// import each other in a cycle; only db/ builds queries. No database: it reads the sources and resolves
// their relative imports.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The floors, lowest first. A file is on the floor of the first entry that names it (a path, or a folder
 * ending in '/'); ARCHITECTURE.md explains each one. Keep the two in step.
 */
const FLOORS: readonly { name: string; paths: readonly string[] }[] = [
  {
    // Words every floor speaks: event and card types, errors, the log, pure rules. Imports nothing of the house.
    name: 'vocabulary',
    paths: [
      'cards/model.ts',
      'bot/core/types.ts',
      'bot/core/errors.ts',
      'bot/core/log.ts',
      'bot/core/next-turn.ts',
      'handlers/accident-rules.ts',
      'handlers/calendar.ts',
      'handlers/deadlines.ts',
      'handlers/evidence-rules.ts',
      'handlers/hazard-rules.ts',
      'handlers/hazard-workflow.ts',
      'handlers/holiday-notice.ts',
      'handlers/inspection-rules.ts',
      'handlers/jpeg-encoder.ts',
      'handlers/obligation-kinds.ts',
      'handlers/org-file.ts',
      'handlers/party-labels.ts',
      'handlers/periods.ts',
      'handlers/photo-text.ts',
      'handlers/record-text.ts',
      'handlers/roster-file.ts',
      'handlers/settings.ts',
      'handlers/shift-rules.ts',
      'handlers/text-limits.ts',
      'handlers/thumbnail.ts',
      'handlers/time.ts',
      'handlers/upload-limits.ts',
      'handlers/xlsx-guard.ts',
    ],
  },
  // Rows only: the schema, the client, the queries.
  { name: 'db', paths: ['db/'] },
  // The engine features plug into: context, router, enqueue, the transactional pipeline, the inbox.
  { name: 'core', paths: ['bot/core/'] },
  // Each feature's cards (the neutral model is vocabulary).
  { name: 'cards', paths: ['cards/'] },
  // The features: commands, actions, reports, file formats.
  { name: 'features', paths: ['handlers/'] },
  // Scheduled jobs and the outbox dispatcher.
  { name: 'jobs', paths: ['jobs/'] },
  // The edge: channels, console, pages, CLIs, app, service, the Node and Workers entries.
  { name: 'edge', paths: ['bot/'] },
  // Benchmarks and scripts: they may use anything, nothing uses them.
  { name: 'tools', paths: ['bench/', 'scripts/'] },
];

const PRODUCT_FOLDERS = ['bot', 'handlers', 'db', 'jobs', 'cards', 'bench', 'scripts'];

function productFiles(): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'migrations') walk(path);
      } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        files.push(path);
      }
    }
  };
  for (const folder of PRODUCT_FOLDERS) if (existsSync(join(ROOT, folder))) walk(folder);
  return files.sort();
}

/** The relative imports of a file (`import … from`, `export … from`, `import '…'`, `import('…')`). */
function importsOf(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .join('\n');
  const found: string[] = [];
  for (const match of source.matchAll(/\b(?:from|import)\s*\(?\s*['"](\.\.?\/[^'"]+)['"]/g)) {
    let target = relative(ROOT, join(ROOT, dirname(file), match[1]!)).replaceAll('\\', '/');
    if (!existsSync(join(ROOT, target))) {
      if (existsSync(join(ROOT, `${target}.ts`))) target = `${target}.ts`;
      else if (existsSync(join(ROOT, target.replace(/\.js$/, '.ts'))))
        target = target.replace(/\.js$/, '.ts');
      else if (existsSync(join(ROOT, target, 'index.ts'))) target = `${target}/index.ts`;
    }
    found.push(target);
  }
  return found;
}

function floorOf(file: string): number {
  return FLOORS.findIndex((floor) =>
    floor.paths.some((path) => (path.endsWith('/') ? file.startsWith(path) : file === path)),
  );
}

/** Strongly connected components with more than one file (or a file importing itself), each sorted. */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)!.includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** One path around a cycle, for the message: a → b → … → a. */
function loopThrough(component: string[], graph: Map<string, string[]>): string {
  const members = new Set(component);
  const start = component[0]!;
  const path = [start];
  const seen = new Set([start]);
  let node = start;
  for (;;) {
    const next = (graph.get(node) ?? []).filter((target) => members.has(target));
    const back = next.find((target) => target === start);
    const onward = next.find((target) => !seen.has(target));
    if (back && (path.length > 1 || !onward)) return [...path, start].join(' → ');
    if (!onward) return `${component.join(', ')} (tangled)`;
    path.push(onward);
    seen.add(onward);
    node = onward;
  }
}

describe('the floors of ARCHITECTURE.md', () => {
  const files = productFiles();
  const graph = new Map(files.map((file) => [file, importsOf(file)]));

  it('puts every product file on a floor and resolves every relative import', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((file) => floorOf(file) < 0)).toEqual([]);
    const unresolved = [...graph].flatMap(([file, targets]) =>
      targets.filter((target) => !existsSync(join(ROOT, target))).map((target) => `${file} → ${target}`),
    );
    expect(unresolved).toEqual([]);
  });

  it('has imports go downward only (or stay on the same floor)', () => {
    const wrongWay: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        if (!graph.has(target)) continue;
        const from = floorOf(file);
        const to = floorOf(target);
        if (to > from) {
          wrongWay.push(`${file} (${FLOORS[from]!.name}) imports ${target} (${FLOORS[to]!.name})`);
        }
      }
    }
    expect(wrongWay, 'imports that go up a floor (ARCHITECTURE.md)').toEqual([]);
  });

  it('lets only db/ talk SQL', () => {
    // Outside db/ no query is built: drizzle-orm is not imported, and db/schema.ts only for its types
    // (`import type { OutboxBody }`), never a table (its tables are lowerCamel, its types PascalCase).
    const talking: string[] = [];
    for (const file of files) {
      if (file.startsWith('db/') || FLOORS[floorOf(file)]!.name === 'tools') continue;
      const source = readFileSync(join(ROOT, file), 'utf8');
      for (const match of source.matchAll(
        /^\s*(import|export)(\s+type)?\s*(\{[^}]*\}|[^'"]*?)\s*from\s*['"]([^'"]+)['"]/gm,
      )) {
        const [, , typeOnly, names, target] = match as unknown as string[];
        if (target!.startsWith('drizzle-orm')) talking.push(`${file} imports ${target}`);
        const resolved = relative(ROOT, join(ROOT, dirname(file), target!)).replaceAll('\\', '/');
        if (resolved !== 'db/schema.ts') continue;
        const tables = names!
          .replace(/[{}]/g, '')
          .split(',')
          .map((name) => name.trim().replace(/^type\s+/, ''))
          .filter((name) => name !== '' && !/^[A-Z]/.test(name));
        if (!typeOnly || tables.length > 0) {
          talking.push(`${file} imports ${tables.join(', ') || names!.trim()} from db/schema.ts`);
        }
      }
    }
    expect(talking, 'queries built outside db/ (ARCHITECTURE.md, "Where code goes")').toEqual([]);
  });

  it('has no import cycle among product files', () => {
    const found = cycles(graph).map(
      (component) => `${loopThrough(component, graph)} (files of the cycle: ${component.join(', ')})`,
    );
    expect(found, 'import cycles among product files').toEqual([]);
  });
});

/** The file that loads Wechaty, at run time and only when the channel is asked for (issue 17). */
const WECHATY_LOADER = 'bot/channels/wechaty/load.ts';

/**
 * The `wechaty…` packages a source loads when it runs: type-only imports and `typeof import(…)` are
 * erased, everything else (a value import, `export … from`, a side-effect import, `import(…)`,
 * `require(…)`) counts.
 */
function runtimeWechatyImports(source: string): string[] {
  const code = source
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .join('\n');
  const found: string[] = [];
  const typeOnly = (clause: string) => {
    const trimmed = clause.trim();
    if (/^type\s/.test(trimmed)) return true;
    const named = /^\{([^}]*)\}$/.exec(trimmed);
    if (!named) return false;
    const items = named[1]!.split(',').map((item) => item.trim());
    return items.every((item) => item === '' || /^type\s/.test(item));
  };
  for (const match of code.matchAll(/\b(?:import|export)\s+([^;'"]*?)\s*from\s*['"](wechaty[^'"]*)['"]/g)) {
    if (!typeOnly(match[1]!)) found.push(`${match[0].split(/\s+/)[0]} … from '${match[2]}'`);
  }
  for (const match of code.matchAll(/\bimport\s+['"](wechaty[^'"]*)['"]/g))
    found.push(`import '${match[1]}'`);
  for (const match of code.matchAll(/(\btypeof\s+)?\b(import|require)\s*\(\s*['"](wechaty[^'"]*)['"]/g)) {
    if (!match[1]) found.push(`${match[2]}('${match[3]}')`);
  }
  return found;
}

describe('Wechaty, an optional install (README, "Wechaty")', () => {
  it('tells a run-time import of wechaty from one that is erased', () => {
    const erased = [
      "import type { Wechaty } from 'wechaty';",
      "import type * as W from 'wechaty';",
      "import { type Wechaty, type types } from 'wechaty';",
      "export type { Wechaty } from 'wechaty';",
      "export type WechatyModule = typeof import('wechaty');",
      "// import { WechatyBuilder } from 'wechaty';",
    ];
    for (const line of erased) expect(runtimeWechatyImports(line), line).toEqual([]);
    const loaded = [
      "import { types } from 'wechaty';",
      "import { type Wechaty, WechatyBuilder } from 'wechaty';",
      "import {\n  type Wechaty,\n  WechatyBuilder,\n} from 'wechaty';",
      "import * as wechaty from 'wechaty';",
      "import Default from 'wechaty-puppet-service';",
      "export { WechatyBuilder } from 'wechaty';",
      "export * from 'wechaty/impls';",
      "import 'wechaty-puppet-service';",
      "const w = await import('wechaty');",
      "const w = require('wechaty');",
    ];
    for (const line of loaded) expect(runtimeWechatyImports(line), line).toHaveLength(1);
  });

  it('is loaded by no product file at run time but the loader (its import() runs only when asked for)', () => {
    const offending = productFiles().flatMap((file) =>
      runtimeWechatyImports(readFileSync(join(ROOT, file), 'utf8'))
        .filter((found) => !(file === WECHATY_LOADER && found.startsWith('import(')))
        .map((found) => `${file}: ${found}`),
    );
    expect(offending, 'product files that load wechaty at run time: use `import type`').toEqual([]);
  });
});
