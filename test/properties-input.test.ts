// Property-based tests of what people type and upload (issue 8, "Bad input"): chat commands with random
// arguments, the dates in them, organization files, roster files (CSV and XLSX) and card button values.
// Random and mutated inputs never crash, never fail inside the core, always get a polite answer, write
// only when the input is valid, and a bad file is refused with messages that name the file and the row
// or path, writing nothing. The console's upload endpoints never answer 5xx.
import { readFileSync } from 'node:fs';
import { and, asc, desc, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { Database } from '../db/client.ts';
import { importOrganization } from '../db/org-import.ts';
import { officeStaff } from '../db/queries/org.ts';
import { rosterPeople } from '../db/queries/shifts.ts';
import {
  completions,
  hazardEvents,
  hazards,
  inboundEvents,
  people,
  postHolders,
  shifts,
  tenants,
} from '../db/schema.ts';
import { endOfDayIn, isIsoDate, isoDateIn, startOfDayIn } from '../handlers/calendar.ts';
import { parseDateInput } from '../handlers/deadlines.ts';
import { createRouter } from '../handlers/index.ts';
import { ExportPeriodError, parseExportPeriod, periodDates } from '../handlers/ledger-export.ts';
import { OrgFileError, parseOrgFile } from '../handlers/org-file.ts';
import { parseRoster, RosterFileError } from '../handlers/roster-file.ts';
import { importRosterFile } from '../handlers/roster-import.ts';
import { parseDayWord } from '../handlers/shift-rules.ts';
import { type ConsoleDriver, consoleDriver } from './helpers/console-driver.ts';
import { Browser, csrfOf, fetchFrom, login, resetConsoleTenants } from './helpers/console-http.ts';
import { exampleFile, openTestDatabase, seedExample } from './helpers/db.ts';
import {
  anyString,
  changedTables,
  chatText,
  commandText,
  failedEvents,
  hanzi,
  mutate,
  mutation,
  rowCounts,
  runs,
} from './helpers/properties.ts';
import { type Harness, startHarness } from './helpers/service.ts';

/** Every button action the bot knows (the router's own registry). */
const ACTIONS = createRouter().actionNames();

/** Saturday 2026-11-28, 10:00 in Shanghai: the example roster (11-30 … 12-06) lies ahead. */
const NOW = new Date('2026-11-28T02:00:00Z');
const ZONES = ['Asia/Shanghai', 'UTC', 'America/New_York', 'Pacific/Kiritimati', 'Pacific/Pago_Pago'];

const SCHOOL_YAML = readFileSync(exampleFile('school.yaml'), 'utf8');
const ROSTER_CSV = readFileSync(exampleFile('roster.csv'), 'utf8');
const school = parseOrgFile('school.yaml', SCHOOL_YAML);
const memberCodes = school.people.map((person) => person.code);
const router = createRouter();

let database: Database;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database.close();
});

/** Only the delivery record and the answers: what a refused or unknown message may write. */
const ANSWER_ONLY = new Set(['inbound_events', 'outbox']);
const onlyAnswers = (before: Record<string, number>, after: Record<string, number>) =>
  changedTables(before, after).filter((line) => !ANSWER_ONLY.has(line.split(':')[0]!));

/** A fresh database with the example school, and a console driver at NOW. */
async function exampleDriver() {
  const driver = consoleDriver(database, NOW);
  driver.tenantId = (await seedExample(database)).tenantId;
  return driver;
}

async function lastInbound() {
  const [row] = await database.db.select().from(inboundEvents).orderBy(desc(inboundEvents.id)).limit(1);
  return row;
}

// ---------------------------------------------------------------------------------------------------
// Commands

describe('chat commands with random text', () => {
  let driver: ConsoleDriver;

  beforeEach(async () => {
    driver = await exampleDriver();
    await importRosterFile(
      database.db,
      driver.tenantId,
      'roster.csv',
      new TextEncoder().encode(ROSTER_CSV),
      NOW,
    );
    // Something for the commands to act on: a reported and an accepted hazard.
    await driver.say('chenjing', '报隐患 教学楼三楼东侧灭火器过期，一般');
    await driver.say('chenjing', '报隐患 食堂后门 食品配送车辆无证进出 较大');
    await driver.say('yinxianju', '受理 YH-2026-0002');
    expect((await database.db.select().from(hazards)).map((row) => row.status).sort()).toEqual([
      'accepted',
      'reported',
    ]);
  });

  it('answers any text politely, and text that is no command writes nothing but the answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...memberCodes), chatText, async (code, text) => {
        const before = await rowCounts(database);
        const answer = await driver.say(code, text);
        expect(await failedEvents(database), text).toEqual([]);
        expect(answer.length, text).toBeGreaterThan(0);
        expect(answer).not.toContain('出了错');
        const command = router.match(text.replaceAll('\u0000', ''));
        if (!command) {
          // A text that reads like a hazard is answered with an offer to file it: one offer row, no hazard.
          const after = await rowCounts(database);
          const offered = answer.includes('要作为隐患上报吗？');
          const changed = onlyAnswers(before, after).filter(
            (line) => !(offered && line.startsWith('report_offers:')),
          );
          expect(changed, text).toEqual([]);
          expect(after.report_offers, text).toBe(before.report_offers! + (offered ? 1 : 0));
        }
        if (!command?.spec.names.includes('报隐患')) {
          expect((await rowCounts(database)).hazards).toBe(before.hazards);
        }
      }),
      { numRuns: runs(150) },
    );
  });

  it('answers every command with random arguments; a refusal writes nothing but its answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...memberCodes), commandText, async (code, text) => {
        const before = await rowCounts(database);
        const answer = await driver.say(code, text);
        expect(await failedEvents(database), text).toEqual([]);
        expect(answer.length, text).toBeGreaterThan(0);
        expect(answer, text).not.toContain('出了错');
        const event = await lastInbound();
        if (event?.status === 'refused') {
          expect(onlyAnswers(before, await rowCounts(database)), `${text} → ${answer}`).toEqual([]);
        }
      }),
      { numRuns: runs(200) },
    );
  });

  it('answers commands with dates of any shape without failing', async () => {
    const dateWord = fc.oneof(
      anyString,
      fc
        .tuple(
          fc.integer({ min: 0, max: 99999 }),
          fc.constantFrom('-', '/', '.', '年', ''),
          fc.integer({ min: 0, max: 99 }),
          fc.constantFrom('-', '/', '.', '月', ''),
          fc.integer({ min: 0, max: 99 }),
          fc.constantFrom('', '日', '号'),
        )
        .map((parts) => parts.join('')),
      fc.constantFrom(
        '9999-12-31',
        '0001-01-01',
        '1000-01-01',
        '2026-02-29',
        '2028-02-29',
        '12-31',
        '31日',
        '周日',
      ),
    );
    const command = fc.oneof(
      fc
        .tuple(fc.constant('wangxiaofang'), dateWord)
        .map(([who, date]) => [who, `挂牌督办 YH-2026-0002 限期整改 截止 ${date}`]),
      fc
        .tuple(fc.constant('zhouyinyin'), dateWord)
        .map(([who, date]) => [who, `记录 检查 校园巡查 日期 ${date}`]),
      fc
        .tuple(fc.constant('wangxiaofang'), dateWord)
        .map(([who, date]) => [who, `派任务 @安保处 检查消防通道 截止 ${date}`]),
      fc
        .tuple(fc.constant('liguoqiang'), dateWord)
        .map(([who, date]) => [who, `换班 ${date} 夜间值班 @张丽`]),
      fc
        .tuple(fc.constant('yinxianju'), fc.integer({ min: -5, max: 100_000 }))
        .map(([who, days]) => [who, `申请延期 YH-2026-0002 ${days} 等待配件`]),
    );
    await fc.assert(
      fc.asyncProperty(command, async ([code, text]) => {
        const answer = await driver.say(code!, text!);
        expect(await failedEvents(database), text).toEqual([]);
        expect(answer.length, text).toBeGreaterThan(0);
        expect(answer, text).not.toContain('出了错');
      }),
      { numRuns: runs(150) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// 记录: notes with 学校, 日期 and 时间 in them

describe('记录 notes', () => {
  let driver: ConsoleDriver;

  beforeEach(async () => {
    driver = await exampleDriver();
  });

  /** Sentences with the field words inside them, no colon and no date: all of it is the note. */
  const sentence = fc
    .array(
      fc.oneof(
        fc.string({ unit: hanzi, minLength: 1, maxLength: 6 }),
        fc.constantFrom(
          '学校',
          '日期',
          '时间',
          '放学时间段',
          '出生日期',
          '学校食堂',
          '上学时间',
          '学校 ',
          ' 日期 ',
          ' 时间',
        ),
        fc.constantFrom('，', '、', '。', ' ', '；'),
        fc.nat(99).map((n) => ` ${n} `),
      ),
      { minLength: 1, maxLength: 12 },
    )
    .map((parts) => parts.join(''))
    .filter((text) => /[^\s，、。；\d]/.test(text));

  async function lastCompletion() {
    const [row] = await database.db.select().from(completions).orderBy(desc(completions.id)).limit(1);
    return row;
  }

  it('keeps a note with the field words in it whole, dated today', async () => {
    await fc.assert(
      fc.asyncProperty(sentence, async (note) => {
        const answer = await driver.say('wangxiaofang', `记录 会议 ${note}`);
        expect(answer, note).toContain('已记录会议');
        expect(await lastCompletion(), note).toMatchObject({
          note: note.replace(/\s+/g, ' ').trim(),
          date: '2026-11-28',
          school: null,
          scope: 'own',
        });
      }),
      { numRuns: runs(120) },
    );
  });

  it('takes a marked date wherever it stands, and leaves the rest of the note as written', async () => {
    await fc.assert(
      fc.asyncProperty(
        sentence,
        sentence,
        fc.constantFrom('日期：11月5日', '日期:2026-11-05', '日期 2026年11月5日', '日期：2026/11/5'),
        async (before, after, marker) => {
          const answer = await driver.say('wangxiaofang', `记录 会议 ${before} ${marker} ${after}`);
          expect(answer, marker).toContain('已记录会议');
          expect(await lastCompletion()).toMatchObject({
            note: `${before} ${after}`.replace(/\s+/g, ' ').trim(),
            date: '2026-11-05',
          });
        },
      ),
      { numRuns: runs(80) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Card button values

describe('card button presses with random values', () => {
  let driver: ConsoleDriver;

  beforeEach(async () => {
    driver = await exampleDriver();
    await driver.say('chenjing', '报隐患 教学楼三楼东侧灭火器过期，一般');
  });

  it('answer with a toast and change no hazard unless the presser may take the step', async () => {
    const ids = fc.oneof(
      fc.constantFrom(
        '1',
        '2',
        '0',
        '-1',
        '1e10',
        '99999999999',
        '2147483648',
        '1.5',
        ' 1 ',
        '0x1',
        '',
        'NaN',
      ),
      fc.nat().map(String),
      anyString,
    );
    const action = fc.oneof(fc.constantFrom(...ACTIONS), anyString);
    const args = fc.oneof(
      fc.record({ id: ids }),
      fc.record({ id: ids, decision: fc.constantFrom('approve', 'deny', ''), severity: anyString }),
      fc.record({ swap: ids }),
      fc.dictionary(anyString, anyString),
    );
    const form = fc.option(
      fc.dictionary(
        fc.constantFrom(
          'reason',
          'measures',
          'days',
          'place',
          'category',
          'matter',
          'deadline',
          'note',
          'date',
        ),
        fc.oneof(anyString, fc.constantFrom('9999-12-31', '12-31', '1e10', '-1', '91', '5')),
      ),
      { nil: undefined },
    );
    // Not the head of 安保处 nor the office: no role on the hazard, and not its reporter.
    const presser = fc.constantFrom('liguoqiang', 'zhangli', 'zhaoming', 'caoqi', 'houhailin');
    const [hazard] = await database.db.select().from(hazards);
    await fc.assert(
      fc.asyncProperty(presser, action, args, form, async (code, name, values, fields) => {
        const trail = await database.db.select().from(hazardEvents);
        const result = await driver.press(code, name, values, fields);
        expect(await failedEvents(database)).toEqual([]);
        expect(result?.toast.text.length).toBeGreaterThan(0);
        expect(result?.toast.text).not.toContain('出了错');
        expect(await database.db.select().from(hazards)).toEqual([hazard]);
        expect(await database.db.select().from(hazardEvents)).toEqual(trail);
      }),
      { numRuns: runs(200) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Dates

describe('dates typed in commands', () => {
  const now = fc.date({
    min: new Date('1971-01-01T00:00:00Z'),
    max: new Date('2999-12-31T00:00:00Z'),
    noInvalidDate: true,
  });
  const zone = fc.constantFrom(...ZONES);
  const dateLike = fc.oneof(
    anyString,
    fc
      .tuple(
        fc.stringMatching(/^\d{0,5}$/),
        fc.constantFrom('-', '/', '.', '年', '月', ''),
        fc.stringMatching(/^\d{0,3}$/),
        fc.constantFrom('-', '/', '.', '月', '日', ''),
        fc.stringMatching(/^\d{0,3}$/),
        fc.constantFrom('', '日', '号', ' '),
      )
      .map((parts) => parts.join('')),
    fc.constantFrom(
      '9999-12-31',
      '9999-12-30',
      '0000-01-01',
      '0001-01-01',
      '1899-12-31',
      '31日',
      '2月29日',
      '周日',
      '礼拜天',
    ),
  );

  it('never throw on random text, and give a real local day or nothing', () => {
    fc.assert(
      fc.property(dateLike, zone, now, (text, timeZone, at) => {
        const deadline = parseDateInput(text, timeZone, at);
        if (deadline !== undefined) {
          expect(Number.isNaN(deadline.getTime())).toBe(false);
          // The last millisecond of a local day.
          const day = isoDateIn(deadline, timeZone);
          expect(isIsoDate(day)).toBe(true);
          expect(isoDateIn(new Date(deadline.getTime() + 1), timeZone)).not.toBe(day);
        }
        const day = parseDayWord(text, timeZone, at);
        if (day !== undefined) expect(isIsoDate(day)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  /**
   * A deadline on `iso` is the last millisecond before the local day after it begins. That is a moment of
   * `iso` itself, except where the zone skipped `iso` (a date-line change): then it is the end of the day
   * before, which is when the skipped day would have ended.
   */
  const expectEndOfLocalDay = (deadline: Date, iso: string, timeZone: string) => {
    expect(isoDateIn(deadline, timeZone) <= iso, `${deadline.toISOString()} ${timeZone}`).toBe(true);
    expect(isoDateIn(new Date(deadline.getTime() + 1), timeZone) > iso).toBe(true);
  };

  const day = fc
    .date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2999-12-30T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((date) => date.toISOString().slice(0, 10));
  const written = (iso: string, style: number) => {
    const [y, m, d] = iso.split('-') as [string, string, string];
    const [mm, dd] = [String(Number(m)), String(Number(d))];
    return [
      `${y}-${m}-${d}`,
      `${y}/${mm}/${dd}`,
      `${y}.${m}.${dd}`,
      `${y}年${mm}月${dd}日`,
      `${y}年${m}月${d}号`,
    ][style]!;
  };

  it('read a full date in any accepted spelling as the end of that local day', () => {
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 4 }), zone, now, (iso, style, timeZone, at) => {
        const text = written(iso, style);
        const deadline = parseDateInput(text, timeZone, at);
        expect(deadline, text).toEqual(endOfDayIn(iso, timeZone));
        expectEndOfLocalDay(deadline!, iso, timeZone);
        expect(parseDayWord(text, timeZone, at), text).toBe(iso);
      }),
      // Samoa went from UTC−11 to UTC+14 over 2011-12-30: that local day never was.
      { numRuns: 500, examples: [['2011-12-30', 0, 'Pacific/Apia', new Date('2011-06-01T00:00:00Z')]] },
    );
  });

  it('read a month and day without a year as the next such day', () => {
    fc.assert(
      fc.property(day, zone, now, fc.constantFrom('-', '/', '月'), (iso, timeZone, at, separator) => {
        const [, m, d] = iso.split('-') as [string, string, string];
        const text = `${Number(m)}${separator}${Number(d)}${separator === '月' ? '日' : ''}`;
        const today = isoDateIn(at, timeZone);
        const found = parseDayWord(text, timeZone, at);
        const deadline = parseDateInput(text, timeZone, at);
        if (found === undefined) {
          // Only 02-29 can be missing from this year and the next.
          expect(`${m}-${d}`).toBe('02-29');
          return;
        }
        expect(found.slice(5)).toBe(`${m}-${d}`);
        expect(found >= today).toBe(true);
        expect(Number(found.slice(0, 4)) - Number(today.slice(0, 4))).toBeLessThanOrEqual(1);
        if (deadline) expectEndOfLocalDay(deadline, found, timeZone);
      }),
      // Found by this property (seed 18731535): Kiritimati went from UTC−10 to UTC+14 over 1994-12-31.
      {
        numRuns: 500,
        examples: [['1969-12-31', 'Pacific/Kiritimati', new Date('1994-01-01T10:00:00.000Z'), '-']],
      },
    );
  });

  it('export periods: random text is refused with a clear error, real periods round-trip', () => {
    fc.assert(
      fc.property(fc.oneof(dateLike, day), fc.oneof(dateLike, day), zone, (from, to, timeZone) => {
        try {
          const period = parseExportPeriod(from, to, timeZone);
          expect(period.from.getTime()).toBeLessThan(period.to.getTime());
          expect(periodDates(period, timeZone)).toEqual({ from: from.trim(), to: to.trim() });
          expect(period.from).toEqual(startOfDayIn(from.trim(), timeZone));
        } catch (error) {
          expect(error).toBeInstanceOf(ExportPeriodError);
          expect((error as Error).message).toMatch(/日期/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Organization files

/** Every path to a scalar in a parsed YAML document. */
function leafPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => leafPaths(item, [...path, index]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => leafPaths(item, [...path, key]));
  }
  return [path];
}

function setPath(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path.at(-1)!] = value;
  return copy;
}

const schoolDocument = parseYaml(SCHOOL_YAML) as Record<string, unknown>;
const schoolLeaves = leafPaths(schoolDocument);

const yamlValue = fc.oneof(
  anyString,
  fc.constantFrom('toString', '__proto__', 'constructor', 'hasOwnProperty', 'a\u0000b', '\ud83d', ' '),
  fc.string({ unit: hanzi }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);

/** A setting or the time zone set to something random but plausible-looking. */
const settingEdit = fc.oneof(
  fc.record({
    path: fc.constant(['tenant', 'timezone']),
    value: fc.oneof(
      fc.constantFrom('Asia/Shanghai', 'UTC', 'Asia/Shangha', 'Mars/Olympus', '+08:00', ''),
      anyString,
    ),
  }),
  fc.record({
    path: fc.constant(['settings', 'semesters']),
    value: fc.record({
      autumn_start: fc.stringMatching(/^\d{2}-\d{2}$/),
      spring_start: fc.stringMatching(/^\d{2}-\d{2}$/),
      spring_end: fc.stringMatching(/^\d{2}-\d{2}$/),
    }),
  }),
  fc.record({
    path: fc.constant(['settings', 'calendar']),
    value: fc.record({
      holidays: fc.array(
        fc.oneof(fc.constantFrom('2027-01-01', '2027-02-30', 'x', '2027-1-1'), fc.string()),
        {
          maxLength: 3,
        },
      ),
      workdays: fc.array(fc.constantFrom('2027-01-01', '2027-02-06', '2027/02/07'), { maxLength: 2 }),
    }),
  }),
  fc.record({
    path: fc.constant(['settings', 'hazard_deadlines', 'general']),
    value: fc.record({
      days: fc.oneof(fc.integer(), fc.double()),
      unit: fc.constantFrom('working', 'calendar', 'x'),
    }),
  }),
);

/** An edit of the example school's file, small enough to read in a counterexample. */
const orgEdit = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('text' as const), edit: mutation() }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('leaf' as const), index: fc.nat(), value: yamlValue }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('setting' as const), setting: settingEdit }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), text: anyString }) },
);
type OrgEdit = typeof orgEdit extends fc.Arbitrary<infer T> ? T : never;

function orgSourceOf(edit: OrgEdit): string {
  switch (edit.kind) {
    case 'text':
      return mutate(SCHOOL_YAML, edit.edit);
    case 'leaf':
      return stringifyYaml(
        setPath(schoolDocument, schoolLeaves[edit.index % schoolLeaves.length]!, edit.value),
      );
    case 'setting':
      return stringifyYaml(setPath(schoolDocument, edit.setting.path, edit.setting.value));
    case 'swap': {
      const lines = SCHOOL_YAML.split('\n');
      const [i, j] = [edit.a % lines.length, edit.b % lines.length];
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join('\n');
    }
    case 'json':
      return stringifyYaml(edit.value);
    case 'raw':
      return edit.text;
  }
}

describe('organization files', () => {
  beforeEach(async () => {
    await seedExample(database);
  });

  it('either import and work, or are refused naming the file, the path and the reason, writing nothing', async () => {
    const driver = consoleDriver(database, NOW);
    await fc.assert(
      fc.asyncProperty(orgEdit, async (edit) => {
        const source = orgSourceOf(edit);
        const before = await rowCounts(database);
        const refused = async (error: unknown) => {
          expect(error).toBeInstanceOf(OrgFileError);
          const { problems, message } = error as OrgFileError;
          expect(problems.length).toBeGreaterThan(0);
          for (const problem of problems) {
            expect(problem.path.length).toBeGreaterThan(0);
            expect(problem.message.length).toBeGreaterThan(0);
          }
          for (const line of message.split('\n').filter((text) => text.startsWith('school.yaml: '))) {
            expect(line).toMatch(/^school\.yaml: \S.*: \S/);
          }
          expect(message.startsWith('school.yaml: ')).toBe(true);
          expect(changedTables(before, await rowCounts(database))).toEqual([]);
        };
        let summary: Awaited<ReturnType<typeof importOrganization>>;
        try {
          // The file's own rules first, then those that need the database (an identity another
          // organization holds, e.g. when the edit gave the tenant another code): refused alike.
          summary = await importOrganization(database.db, parseOrgFile('school.yaml', source), NOW);
        } catch (error) {
          await refused(error);
          return;
        }
        // An accepted file imports, and the bot works for it.
        driver.tenantId = summary.tenantId;
        const [tenant] = await database.db.select().from(tenants).where(eq(tenants.id, summary.tenantId));
        const holders = await database.db
          .selectDistinct({ code: people.code })
          .from(postHolders)
          .innerJoin(people, eq(people.id, postHolders.personId))
          .where(and(eq(people.tenantId, tenant!.id), eq(people.archived, false)))
          .orderBy(asc(people.code));
        const office = await officeStaff(database.db, tenant!.id);
        const someone = office[0]?.code ?? holders[0]?.code;
        if (!someone) return;
        for (const text of ['我的职责', '今天谁值班', '报隐患 配电间门锁损坏 一般']) {
          expect((await driver.say(someone, text)).length).toBeGreaterThan(0);
        }
        const [reported] = await database.db
          .select()
          .from(hazards)
          .where(eq(hazards.tenantId, tenant!.id))
          .orderBy(desc(hazards.id))
          .limit(1);
        if (reported && office[0]) await driver.say(office[0].code, `受理 ${reported.code}`);
        expect(await failedEvents(database)).toEqual([]);
      }),
      { numRuns: runs(100) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Roster files

const ROSTER_LINES = ROSTER_CSV.trimEnd().split(/\r?\n/);
const ROSTER_CELLS = ROSTER_LINES.map((line) =>
  [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)]
    .map((match) => match[1]!)
    .slice(0, 6)
    .map((cell) => (cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell)),
);
const csvCell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
const csvOf = (rows: string[][]) => `${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;

/** What a cell may be changed to: random text, or near-misses of dates, times and names. */
const rosterCell = fc.oneof(
  anyString,
  fc.string({ unit: hanzi, maxLength: 4 }),
  fc.constantFrom(
    '',
    '2026-13-01',
    '2026-02-30',
    '12-01',
    '2026-12-01（星期一）',
    '2026-12-01（星期二）',
    '25:00-08:00',
    '08:00-08:00',
    '20:00-次日08:00',
    '08:00',
    '李四',
    '陈静、陈静',
    '薛建平、章方辉',
    '陈静,赵明',
    'chenjing',
    '日间值班',
    '"',
    '=cmd()',
  ),
);

async function rosterContext() {
  const [tenant] = await database.db.select().from(tenants);
  return { tenant: tenant!, people: await rosterPeople(database.db, tenant!.id) };
}

/** Every problem names a row, and the edited row is the one named (or the one a clash points to). */
function expectRowPrecise(error: unknown, file: string, row: number) {
  expect(error).toBeInstanceOf(RosterFileError);
  const { problems, message } = error as RosterFileError;
  expect(problems.length).toBeGreaterThan(0);
  for (const problem of problems) {
    expect(problem.message.length).toBeGreaterThan(0);
    expect(problem.row === row || problem.message.includes(`第 ${row} 行`), JSON.stringify(problem)).toBe(
      true,
    );
  }
  for (const line of message.split('\n')) expect(line.startsWith(`${file}: 第 `), line).toBe(true);
}

describe('roster files', () => {
  beforeEach(async () => {
    await seedExample(database);
  });

  it('CSV with one cell changed: imported, or refused naming that row, writing nothing', async () => {
    const { tenant, people } = await rosterContext();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: ROSTER_CELLS.length - 1 }),
        fc.integer({ min: 0, max: 5 }),
        rosterCell,
        async (index, column, value) => {
          const rows = ROSTER_CELLS.map((row) => [...row]);
          rows[index]![column] = value;
          const bytes = new TextEncoder().encode(csvOf(rows));
          const before = await rowCounts(database);
          let parsed: Awaited<ReturnType<typeof parseRoster>> | undefined;
          try {
            parsed = await parseRoster('roster.csv', bytes, { people, timeZone: tenant.timezone });
          } catch (error) {
            expectRowPrecise(error, 'roster.csv', index + 1);
          }
          try {
            const summary = await importRosterFile(database.db, tenant.id, 'roster.csv', bytes, NOW);
            expect(parsed).toBeDefined();
            expect(summary.created + summary.kept).toBeGreaterThan(0);
          } catch (error) {
            expect(parsed).toBeUndefined();
            expect(error).toBeInstanceOf(RosterFileError);
            expect(changedTables(before, await rowCounts(database))).toEqual([]);
          }
        },
      ),
      { numRuns: runs(150) },
    );
  });

  it('CSV of random bytes, text or rows: refused with file and row, writing nothing, or imported', async () => {
    const { tenant } = await rosterContext();
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      anyString.map((text) => new TextEncoder().encode(text)),
      fc
        .tuple(mutation(), fc.boolean())
        .map(([edit, bom]) => new TextEncoder().encode(`${bom ? '\ufeff' : ''}${mutate(ROSTER_CSV, edit)}`)),
      fc
        .array(fc.array(rosterCell, { maxLength: 7 }), { maxLength: 6 })
        .map((rows) => new TextEncoder().encode(csvOf([ROSTER_CELLS[0]!, ...rows]))),
      fc.constantFrom(
        new Uint8Array([0xff, 0xfe, 0x41, 0x00]),
        new Uint8Array([0xc3, 0x28]),
        new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        bytes,
        fc.constantFrom('roster.csv', '值班表.CSV', 'roster.xlsx'),
        async (content, file) => {
          const before = await rowCounts(database);
          try {
            await importRosterFile(database.db, tenant.id, file, content, NOW);
          } catch (error) {
            expect(error).toBeInstanceOf(RosterFileError);
            // Every problem names the file; past 50 problems the last line counts the ones not listed
            // (handlers/upload-limits.ts), as when a valid roster is imported a second time.
            for (const line of (error as Error).message.split('\n'))
              expect(line.startsWith(`${file}: `) || /^另有 \d+ 处问题未列出$/.test(line), line).toBe(true);
            expect(changedTables(before, await rowCounts(database))).toEqual([]);
          }
        },
      ),
      { numRuns: runs(150) },
    );
  });

  it('XLSX with an invalid date in a text cell: read as text or the row named, never a RangeError (found by the property below)', async () => {
    const { tenant, people } = await rosterContext();
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('值班表');
    for (const [i, row] of ROSTER_CELLS.entries()) {
      sheet.addRow(i === 1 ? [row[0], new Date(Number.NaN), ...row.slice(2)] : row);
    }
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer());
    const outcome = await parseRoster('roster.xlsx', bytes, { people, timeZone: tenant.timezone }).catch(
      (error: unknown) => error,
    );
    // The 班次 cell is text: an unreadable date there reads as text, or the row is named.
    if (outcome instanceof Error) expectRowPrecise(outcome, 'roster.xlsx', 2);
    else expect(outcome).toBeDefined();
  });

  it('XLSX with one cell changed (text, number, date, boolean): imported, or refused naming that row', async () => {
    const { tenant, people } = await rosterContext();
    const value = fc.oneof(
      rosterCell,
      fc.double({ noNaN: false }),
      fc.integer({ min: -1, max: 100_000 }),
      fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z') }),
      fc.boolean(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: ROSTER_CELLS.length - 1 }),
        fc.integer({ min: 0, max: 5 }),
        value,
        async (index, column, cell) => {
          const workbook = new ExcelJS.Workbook();
          const sheet = workbook.addWorksheet('值班表');
          ROSTER_CELLS.forEach((row, i) => {
            const values: unknown[] = [...row];
            if (i === index) values[column] = cell;
            sheet.addRow(values);
          });
          const bytes = new Uint8Array(await workbook.xlsx.writeBuffer());
          const before = await rowCounts(database);
          let imported = false;
          try {
            await parseRoster('roster.xlsx', bytes, { people, timeZone: tenant.timezone });
            imported = true;
          } catch (error) {
            expectRowPrecise(error, 'roster.xlsx', index + 1);
          }
          if (!imported) {
            await expect(importRosterFile(database.db, tenant.id, 'roster.xlsx', bytes, NOW)).rejects.toThrow(
              RosterFileError,
            );
            expect(changedTables(before, await rowCounts(database))).toEqual([]);
          }
        },
      ),
      { numRuns: runs(80) },
    );
  });

  it('XLSX-looking garbage is refused as not readable, writing nothing', async () => {
    const { tenant } = await rosterContext();
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('值班表');
    for (const row of ROSTER_CELLS) sheet.addRow(row);
    const valid = new Uint8Array(await workbook.xlsx.writeBuffer());
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((tail) => new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...tail])),
          fc.tuple(fc.nat(), fc.nat({ max: 255 })).map(([at, byte]) => {
            const copy = valid.slice();
            const index = 4 + (at % (copy.length - 4));
            copy[index] = copy[index] === byte ? (byte + 1) % 256 : byte;
            return copy;
          }),
          fc.nat().map((at) => valid.slice(0, 4 + (at % (valid.length - 4)))),
        ),
        async (bytes) => {
          const before = await rowCounts(database);
          try {
            await importRosterFile(database.db, tenant.id, 'roster.xlsx', bytes, NOW);
          } catch (error) {
            expect(error).toBeInstanceOf(RosterFileError);
            expect(changedTables(before, await rowCounts(database))).toEqual([]);
          }
        },
      ),
      { numRuns: runs(60) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// The console's upload endpoints

describe('console uploads over HTTP', () => {
  let harness: Harness;
  let browser: Browser;

  beforeAll(async () => {
    harness = await startHarness(database, {}, { clock: () => NOW });
  });
  afterAll(async () => {
    await harness.close();
  });
  beforeEach(async () => {
    await resetConsoleTenants(harness, database);
    browser = new Browser(fetchFrom(() => harness.url));
    await login(browser);
  });

  async function upload(path: string, name: string, bytes: Uint8Array) {
    const { html } = await browser.page(path);
    return browser.upload(path, { _csrf: csrfOf(html) }, { name, bytes });
  }

  it('/console/org: a refused file answers 4xx and writes nothing; none answers 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(orgEdit, fc.constantFrom('school.yaml', 'org.yml', 'org.txt'), async (edit, name) => {
        const source = orgSourceOf(edit);
        const before = await rowCounts(database);
        const response = await upload('/console/org', name, new TextEncoder().encode(source));
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          expect([400, 403, 413]).toContain(response.status);
          const html = await response.text();
          expect(html).toMatch(/组织文件|文件/);
          expect(changedTables(before, await rowCounts(database))).toEqual([]);
        } else expect(response.status).toBe(303);
      }),
      { numRuns: runs(40) },
    );
  });

  it('/console/rosters: a refused file answers 400 and writes nothing; none answers 5xx', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(mutation(), fc.boolean()).map(([edit]) => new TextEncoder().encode(mutate(ROSTER_CSV, edit))),
      fc
        .tuple(
          fc.integer({ min: 1, max: ROSTER_CELLS.length - 1 }),
          fc.integer({ min: 0, max: 5 }),
          rosterCell,
        )
        .map(([index, column, value]) => {
          const rows = ROSTER_CELLS.map((row) => [...row]);
          rows[index]![column] = value;
          return new TextEncoder().encode(csvOf(rows));
        }),
    );
    await fc.assert(
      fc.asyncProperty(
        bytes,
        fc.constantFrom('roster.csv', 'roster.xlsx', 'roster.txt'),
        async (content, name) => {
          const before = await rowCounts(database);
          const response = await upload('/console/rosters', name, content);
          expect(response.status).toBeLessThan(500);
          if (response.status >= 400) {
            expect(response.status).toBe(400);
            expect(changedTables(before, await rowCounts(database))).toEqual([]);
          } else {
            expect(response.status).toBe(303);
            expect((await database.db.select().from(shifts)).length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: runs(40) },
    );
  });

  it('forms and queries of every console page: random values never answer 5xx nor fail inside', async () => {
    const { html } = await browser.page('/console/tasks');
    const csrf = csrfOf(html);
    const value = fc.oneof(
      anyString,
      fc.constantFrom(
        '1',
        '2',
        '7',
        '0',
        '-1',
        '99999999999',
        '2147483648',
        '2026',
        '9999',
        '2026-Q4',
        '2026-12-31',
      ),
      fc.constantFrom('9999-12-31', '0001-01-01', '2026-02-30', 'hazard.accept', '{"id":"1"}', 'csv', 'xlsx'),
    );
    const fields = fc.record(
      Object.fromEntries(
        [
          'action',
          'actor',
          'args',
          'assignee',
          'assigner',
          'content',
          'deadline',
          'due',
          'hazard',
          'kind',
          'matter',
          'next',
          'person',
          'quick',
          'reason',
          'text',
          'unit',
          'year',
          'tenant',
          'username',
          'password',
          'field_reason',
          'field_measures',
          'format',
          'from',
          'to',
          'quarter',
          'status',
        ].map((name) => [name, value]),
      ),
      { requiredKeys: [] },
    );
    const posts = [
      '/console/tasks',
      '/console/letters',
      '/console/hazards/list',
      '/console/reports/year/veto',
      '/console/reports/statement.txt',
      '/console/say',
      '/console/press',
    ];
    const gets = [
      '/console/ledger/export',
      '/console/reports/quarterly',
      '/console/reports/quarterly.xlsx',
      '/console/reports/year',
      '/console/reports/year.xlsx',
      '/console/reports/statement',
      '/console/reports/statement.txt',
      '/console/letters',
      '/console/tasks',
      '/',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ method: fc.constant('POST' as const), path: fc.constantFrom(...posts) }),
          fc.record({ method: fc.constant('GET' as const), path: fc.constantFrom(...gets) }),
        ),
        fields,
        async ({ method, path }, values) => {
          const form = Object.fromEntries(
            Object.entries(values).filter(([, entry]) => entry !== undefined),
          ) as Record<string, string>;
          const response =
            method === 'POST'
              ? await browser.post(path, { _csrf: csrf, ...form })
              : await browser.get(`${path}?${new URLSearchParams(form)}`);
          expect(response.status, `${method} ${path}`).toBeLessThan(500);
          await response.arrayBuffer();
          expect(await failedEvents(database)).toEqual([]);
        },
      ),
      { numRuns: runs(100) },
    );
  });
});
