// Duty rosters (值班表) as schools keep them: an XLSX sheet or a CSV file with a header row in Chinese —
// 日期, 班次, 时间, 值班人员, 带班领导, 地点 (optional). Pure: the caller passes the tenant's people and time
// zone; nothing here touches the database. Every problem is reported with the file, the row number (as
// the spreadsheet shows it), the column and the reason, and a file with any problem yields no rows.
import { type IsoDate, isIsoDate } from './calendar.ts';
import { localInstant, weekdayIndex } from './shift-rules.ts';
import {
  decodeText,
  firstProblems,
  omittedLine,
  quoted,
  UPLOAD_LIMITS,
  type UploadLimits,
} from './upload-limits.ts';
import { xlsxProblem } from './xlsx-guard.ts';

/** Someone a roster may name: by name, or by their code from the organization file. */
export interface RosterPerson {
  id: number;
  code: string;
  name: string;
  archived: boolean;
}

/** One shift of the roster, ready to import. */
export interface RosterRow {
  /** The row number in the file (the header is usually row 1). */
  row: number;
  /** The local date of the shift (the day it starts). */
  date: IsoDate;
  name: string;
  startsAt: Date;
  endsAt: Date;
  place: string | null;
  personIds: number[];
  leaderId: number;
}

export interface ParsedRoster {
  file: string;
  /** The period the file covers: its first and last date. Re-importing it replaces this period. */
  from: IsoDate;
  to: IsoDate;
  rows: RosterRow[];
}

export interface RosterProblem {
  row?: number;
  column?: string;
  message: string;
}

/** A refused file: its first 50 problems (UPLOAD_LIMITS.listedProblems), and how many more there are. */
export class RosterFileError extends Error {
  override name = 'RosterFileError';
  readonly problems: RosterProblem[];
  readonly omitted: number;
  constructor(
    readonly file: string,
    problems: RosterProblem[],
    omitted = 0,
  ) {
    const first = firstProblems(problems);
    const lines = first.problems.map((problem) => formatProblem(file, problem));
    const more = first.omitted + omitted;
    super([...lines, omittedLine(more)].filter(Boolean).join('\n'));
    this.problems = first.problems;
    this.omitted = more;
  }
}

/**
 * `roster.csv: 第 4 行 值班人员: 找不到“李四”` — one line per problem: control characters a message quotes
 * from a cell (a line break inside a quoted CSV field) are shown escaped, as `\n`.
 */
export function formatProblem(file: string, problem: RosterProblem): string {
  const message = problem.message.replace(/\p{Cc}/gu, (char) => JSON.stringify(char).slice(1, -1));
  if (problem.row === undefined) return `${file}: ${message}`;
  const column = problem.column ? ` ${problem.column}` : '';
  return `${file}: 第 ${problem.row} 行${column}: ${message}`;
}

// ---------------------------------------------------------------------------------------------------
// Cells and records

/** A cell as read from either format: CSV gives text; XLSX may give dates and numbers. */
export type Cell = string | number | Date | boolean | null;

export interface RosterRecord {
  row: number;
  cells: Cell[];
}

const isBlank = (cell: Cell | undefined) =>
  cell === null || cell === undefined || (typeof cell === 'string' && cell.trim() === '');

/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes (`""` is a quote; quoted fields may
 * hold commas and line breaks), records ended by CRLF, LF or CR. The row number of each record is its
 * position in the file, as a spreadsheet shows it. Problems: an unclosed quote, text after a closing quote.
 */
export function parseCsv(
  text: string,
  maxRows: number = UPLOAD_LIMITS.rows,
): { records: RosterRecord[]; problems: RosterProblem[] } {
  const records: RosterRecord[] = [];
  const problems: RosterProblem[] = [];
  let field = '';
  let fields: string[] = [];
  let row = 1;
  let quoted = false;
  let fieldWasQuoted = false;
  let afterQuote = false;
  let quoteRow = 1;
  let badRow = -1;
  const endField = () => {
    fields.push(field);
    field = '';
    fieldWasQuoted = false;
    afterQuote = false;
  };
  const endRecord = () => {
    endField();
    records.push({ row, cells: fields });
    fields = [];
    row += 1;
  };
  for (let i = 0; i < text.length; i++) {
    if (row > maxRows) {
      problems.push({ message: tooManyRows(maxRows) });
      return { records, problems };
    }
    const char = text[i]!;
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          afterQuote = true;
        }
      } else field += char;
      continue;
    }
    if (char === ',') endField();
    else if (char === '\r' || char === '\n') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      endRecord();
    } else if (char === '"' && field === '' && !fieldWasQuoted) {
      quoted = true;
      fieldWasQuoted = true;
      quoteRow = row;
    } else if (afterQuote) {
      if (badRow !== row) {
        problems.push({ row, message: '引号后还有多余的字符（含逗号或引号的内容请整体放在一对双引号内）' });
        badRow = row;
      }
      field += char;
    } else field += char;
  }
  if (quoted) {
    problems.push({ row: quoteRow, message: '引号没有闭合' });
  }
  if (field !== '' || fields.length > 0 || fieldWasQuoted) endRecord();
  return { records, problems };
}

const tooManyRows = (maxRows: number) =>
  `文件超过 ${maxRows} 行的上限，未读完；请按学期或月份分成几个文件导入`;

/** Text of a CSV file: UTF-8 (with or without a BOM), or GBK/GB18030 as Excel on Chinese Windows saves it. */
function csvText(bytes: Uint8Array): { text?: string; problem?: string } {
  const decoded = decodeText(bytes);
  if ('text' in decoded) return { text: decoded.text };
  return {
    problem:
      decoded.problem === 'utf-16'
        ? '文件是 UTF-16 编码；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”'
        : '文件既不是 UTF-8 也不是 GBK 编码的文本；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”，或直接导入 .xlsx',
  };
}

const isZip = (bytes: Uint8Array) =>
  bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;

/** Columns of an XLSX sheet that are read: a roster has six, and a title or notes may spread wider. */
const MAX_COLUMNS = 64;

/**
 * The first worksheet with content, as records of plain cells. The archive is checked against the
 * limits before exceljs (loaded only when needed) builds the workbook.
 */
async function readXlsx(
  bytes: Uint8Array,
  limits: UploadLimits,
): Promise<{ records: RosterRecord[]; problems: RosterProblem[] }> {
  const refused = await xlsxProblem(bytes, limits);
  if (refused) return { records: [], problems: [{ message: refused }] };
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs declares its own Buffer type; a Node Buffer is what it reads.
    await workbook.xlsx.load(Buffer.from(bytes) as unknown as Parameters<typeof workbook.xlsx.load>[0]);
  } catch (error) {
    return {
      records: [],
      problems: [
        {
          message: `无法读取 XLSX 文件（${quoted(error instanceof Error ? error.message : String(error))}）`,
        },
      ],
    };
  }
  const sheet =
    workbook.worksheets.find((candidate) => candidate.state === 'visible' && candidate.actualRowCount > 0) ??
    workbook.worksheets[0];
  if (!sheet) return { records: [], problems: [{ message: '工作簿里没有工作表' }] };
  const records: RosterRecord[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    // Only the cells the file has: a lone cell in column XFD does not make 16,384 of them.
    const cells: Cell[] = [];
    row.eachCell({ includeEmpty: false }, (cell, column) => {
      if (column <= MAX_COLUMNS) cells[column - 1] = plainCell(cell.value);
    });
    records.push({ row: rowNumber, cells: Array.from(cells, (cell) => cell ?? null) });
  });
  return { records, problems: [] };
}

/** exceljs cell values (rich text, formulas, hyperlinks, errors) as plain cells. */
function plainCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value;
  if (typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (Array.isArray(object.richText)) {
      return (object.richText as { text?: string }[]).map((part) => part.text ?? '').join('');
    }
    if ('result' in object) return plainCell(object.result);
    if ('formula' in object || 'sharedFormula' in object) return null;
    if (typeof object.text === 'string') return object.text;
    if ('error' in object) return String(object.error);
  }
  return String(value);
}

// ---------------------------------------------------------------------------------------------------
// Columns

type Column = 'date' | 'name' | 'time' | 'people' | 'leader' | 'place';

/** The canonical header of each column (used in messages) and the other headers accepted for it. */
const COLUMNS: Record<Column, { label: string; aliases: string[]; required: boolean }> = {
  date: { label: '日期', aliases: ['日期', '值班日期'], required: true },
  name: { label: '班次', aliases: ['班次', '班次名称', '班别'], required: true },
  time: { label: '时间', aliases: ['时间', '值班时间', '时段', '起止时间'], required: true },
  people: { label: '值班人员', aliases: ['值班人员', '值班人', '值班教师'], required: true },
  leader: { label: '带班领导', aliases: ['带班领导', '带班'], required: true },
  place: { label: '地点', aliases: ['地点', '值班地点'], required: false },
};
const ORDER: Column[] = ['date', 'name', 'time', 'people', 'leader', 'place'];
const EXPECTED_HEADER = '日期, 班次, 时间, 值班人员, 带班领导, 地点（可选）';

const headerText = (cell: Cell | undefined) =>
  typeof cell === 'string' ? cell.replace(/[\s*＊]/g, '').replace(/[（(].*[）)]$/, '') : '';

function columnOf(cell: Cell | undefined): Column | undefined {
  const text = headerText(cell);
  return ORDER.find((column) => COLUMNS[column].aliases.includes(text));
}

/** The header row: the first of the first ten records naming two of the columns (title rows may precede it). */
function findHeader(records: RosterRecord[]): { index: number; columns: Map<Column, number> } | undefined {
  for (const [index, record] of records.slice(0, 10).entries()) {
    const columns = new Map<Column, number>();
    record.cells.forEach((cell, position) => {
      const column = columnOf(cell);
      if (column && !columns.has(column)) columns.set(column, position);
    });
    if (columns.size >= 2) return { index, columns };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Values

// An invalid Date (a cell exceljs could not read as one) has no ISO form: its text is "Invalid Date", which
// the parsers then name as a bad value instead of throwing a RangeError.
const text = (cell: Cell | undefined) =>
  cell === null || cell === undefined
    ? ''
    : cell instanceof Date && !Number.isNaN(cell.getTime())
      ? cell.toISOString()
      : String(cell).trim();

const DATE_PATTERN =
  /^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s*[（(]?\s*((?:星期|周|礼拜)[一二三四五六日天])\s*[)）]?)?$/;

/** A date cell: `2026-12-01`, `2026/12/1`, `2026年12月1日`, optionally with its weekday, or an Excel date. */
function parseDate(cell: Cell): { date?: IsoDate; problem?: string } {
  if (cell instanceof Date) {
    // exceljs reads an Excel date (a zone-less serial) as that wall time in UTC.
    if (Number.isNaN(cell.getTime())) return { problem: '不是有效的日期' };
    return { date: cell.toISOString().slice(0, 10) };
  }
  if (typeof cell === 'number') {
    if (Number.isInteger(cell) && cell > 20_000 && cell < 80_000) {
      return { date: new Date(Date.UTC(1899, 11, 30) + cell * 86_400_000).toISOString().slice(0, 10) };
    }
    return { problem: `“${cell}”不是日期；请写成 2026-12-01` };
  }
  const value = text(cell);
  const match = DATE_PATTERN.exec(value);
  if (!match) {
    if (/^\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?/.test(value)) {
      return { problem: `“${quoted(value)}”缺少年份；请写成 2026-12-01` };
    }
    return { problem: `“${quoted(value)}”不是日期；请写成 2026-12-01` };
  }
  const pad = (n: string) => n.padStart(2, '0');
  const date = `${match[1]}-${pad(match[2]!)}-${pad(match[3]!)}`;
  if (!isIsoDate(date)) return { problem: `“${quoted(value)}”不是真实存在的日期` };
  if (match[4]) {
    const said = weekdayIndex(match[4]);
    const actual = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (said !== actual) {
      const names = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];
      return { problem: `${date} 是${names[actual]}，不是${match[4]}` };
    }
  }
  return { date };
}

const TIME_PATTERN =
  /^(\d{1,2})\s*[:：]\s*(\d{2})\s*(?:-|－|~|～|—|–|至|到)\s*(次日|翌日)?\s*(\d{1,2})\s*[:：]\s*(\d{2})$/;

/**
 * A time range `08:00-17:00`, in minutes after local midnight of the shift's date. An end at or before
 * the start is the next day (`20:00-08:00`; `08:00-08:00` is 24 hours); `次日` may say so explicitly.
 */
function parseTimeRange(cell: Cell): { start?: number; end?: number; problem?: string } {
  const value = text(cell);
  const usage = '请写成 08:00-17:00（结束早于开始表示次日，如 20:00-08:00）';
  if (cell instanceof Date || typeof cell === 'number') return { problem: `需要一个时间段；${usage}` };
  const match = TIME_PATTERN.exec(value);
  if (!match) return { problem: `“${quoted(value)}”不是时间段；${usage}` };
  const [h1, m1, nextDay, h2, m2] = [
    Number(match[1]),
    Number(match[2]),
    Boolean(match[3]),
    Number(match[4]),
    Number(match[5]),
  ];
  if (h1 > 23 || m1 > 59) return { problem: `开始时间“${match[1]}:${match[2]}”不存在` };
  if (h2 > 24 || m2 > 59 || (h2 === 24 && m2 > 0)) {
    return { problem: `结束时间“${match[4]}:${match[5]}”不存在` };
  }
  const start = h1 * 60 + m1;
  let end = h2 * 60 + m2;
  if (nextDay || end <= start) end += 24 * 60;
  if (end - start > 24 * 60) return { problem: `“${quoted(value)}”超过 24 小时` };
  return { start, end };
}

const SEPARATORS = /[、,，;；\n]+/;
/** The names a cell lists, split at 、 , ; or a line break. */
const names = (cell: Cell | undefined) =>
  text(cell)
    .split(SEPARATORS)
    .map((word) => word.trim())
    .filter(Boolean);

type Lookup = { person?: RosterPerson; problem?: string };

function personLookup(directory: readonly RosterPerson[]): (word: string) => Lookup {
  const byCode = new Map(directory.map((person) => [person.code.toLowerCase(), person]));
  const byName = new Map<string, RosterPerson[]>();
  for (const person of directory) {
    const list = byName.get(person.name) ?? [];
    list.push(person);
    byName.set(person.name, list);
  }
  return (full) => {
    const word = quoted(full);
    const coded = byCode.get(full.toLowerCase());
    if (coded) return coded.archived ? { problem: `“${word}”已停用` } : { person: coded };
    const named = byName.get(full) ?? [];
    const active = named.filter((person) => !person.archived);
    if (active.length === 1) return { person: active[0] };
    if (active.length > 1) {
      return {
        problem: `“${word}”有 ${active.length} 人同名，请改写人员编号（${active.map((person) => person.code).join('、')}）`,
      };
    }
    if (named.length > 0) return { problem: `“${word}”已停用` };
    return { problem: `找不到“${word}”` };
  };
}

// ---------------------------------------------------------------------------------------------------
// The roster

export interface ParseOptions {
  /** The tenant's people (not outside reporters); archived ones give a clearer message than "not found". */
  people: readonly RosterPerson[];
  /** The tenant's time zone: the file's times are local to it. */
  timeZone: string;
}

/**
 * Parses a roster file (XLSX by its content, else CSV). `file` is the name used in messages. Throws
 * RosterFileError listing every problem; returns the rows only when there are none.
 */
export async function parseRoster(
  file: string,
  bytes: Uint8Array,
  options: ParseOptions,
  limits: UploadLimits = UPLOAD_LIMITS,
): Promise<ParsedRoster> {
  if (bytes.length > limits.rosterBytes) {
    throw new RosterFileError(file, [
      {
        message: `文件大于 ${limits.rosterBytes / 2 ** 20} MB；一份值班表通常不到 1 MB，请只保留值班表后重新导入`,
      },
    ]);
  }
  let read: { records: RosterRecord[]; problems: RosterProblem[] };
  if (isZip(bytes)) read = await readXlsx(bytes, limits);
  else if (/\.xlsx?$/i.test(file) && bytes.length > 0) {
    throw new RosterFileError(file, [
      { message: '不是有效的 .xlsx 文件（旧版 .xls 请在 Excel 中另存为 .xlsx 或 CSV UTF-8）' },
    ]);
  } else {
    const decoded = csvText(bytes);
    if (decoded.problem) throw new RosterFileError(file, [{ message: decoded.problem }]);
    read = parseCsv(decoded.text!, limits.rows);
  }
  if (read.problems.length > 0) throw new RosterFileError(file, read.problems);
  if (read.records.length > limits.rows)
    throw new RosterFileError(file, [{ message: tooManyRows(limits.rows) }]);
  const long = longCells(read.records, limits.cellChars);
  if (long.length > 0) throw new RosterFileError(file, long);
  return rosterFromRecords(file, read.records, options);
}

/** The spreadsheet name of a column: 1 → A, 27 → AA. */
const columnName = (column: number): string =>
  (column > 26 ? columnName(Math.floor((column - 1) / 26)) : '') +
  String.fromCharCode(65 + ((column - 1) % 26));

/** Cells longer than the limit: a roster's cells are dates, names and places. */
function longCells(records: RosterRecord[], cellChars: number): RosterProblem[] {
  const problems: RosterProblem[] = [];
  for (const record of records) {
    record.cells.forEach((cell, index) => {
      if (typeof cell === 'string' && cell.length > cellChars && [...cell].length > cellChars) {
        problems.push({
          row: record.row,
          column: `${columnName(index + 1)} 列`,
          message: `内容超过 ${cellChars} 字：“${quoted(cell)}”`,
        });
      }
    });
  }
  return problems;
}

/** The roster in records already read (row numbers and cells); what parseRoster does after reading. */
export function rosterFromRecords(
  file: string,
  records: RosterRecord[],
  options: ParseOptions,
): ParsedRoster {
  const content = records.filter((record) => record.cells.some((cell) => !isBlank(cell)));
  const header = findHeader(content);
  if (!header) {
    throw new RosterFileError(file, [
      { row: content[0]?.row ?? 1, message: `找不到表头；第一行应为：${EXPECTED_HEADER}` },
    ]);
  }
  const headerRow = content[header.index]!.row;
  const missing = ORDER.filter((column) => COLUMNS[column].required && !header.columns.has(column));
  if (missing.length > 0) {
    throw new RosterFileError(file, [
      {
        row: headerRow,
        message: `缺少列 ${missing.map((column) => `“${COLUMNS[column].label}”`).join('、')}（表头应为：${EXPECTED_HEADER}）`,
      },
    ]);
  }
  const lookup = personLookup(options.people);
  const problems: RosterProblem[] = [];
  const rows: RosterRow[] = [];
  const at = (record: RosterRecord, column: Column) => {
    const position = header.columns.get(column);
    return position === undefined ? null : (record.cells[position] ?? null);
  };

  for (const record of content.slice(header.index + 1)) {
    const problem = (column: Column, message: string) =>
      problems.push({ row: record.row, column: COLUMNS[column].label, message });
    const before = problems.length;
    const empty = (column: Column, hint = '') => {
      if (!isBlank(at(record, column))) return false;
      problem(column, `不能为空${hint}`);
      return true;
    };
    // A NUL character cannot be stored (nor seen); it is a damaged file rather than something to guess at.
    for (const column of ORDER) {
      const cell = at(record, column);
      if (typeof cell === 'string' && cell.includes('\u0000'))
        problem(column, '含有空字符（\\0），请检查文件后重新导入');
    }
    if (problems.length > before) continue;

    let date: IsoDate | undefined;
    if (!empty('date', '（合并的单元格导出为 CSV 时只保留在第一行，请每行都填写日期）')) {
      const parsed = parseDate(at(record, 'date'));
      if (parsed.problem) problem('date', parsed.problem);
      date = parsed.date;
    }
    const name = text(at(record, 'name'));
    if (!name) problem('name', '不能为空');
    let range: { start?: number; end?: number; problem?: string } = {};
    if (!empty('time')) {
      range = parseTimeRange(at(record, 'time'));
      if (range.problem) problem('time', range.problem);
    }
    const personIds: number[] = [];
    if (!empty('people')) {
      const words = names(at(record, 'people'));
      if (words.length === 0) problem('people', '不能为空');
      const seen = new Set<number>();
      for (const word of words) {
        const found = lookup(word);
        if (found.problem) problem('people', found.problem);
        else if (seen.has(found.person!.id)) problem('people', `“${quoted(word)}”重复列出`);
        else {
          seen.add(found.person!.id);
          personIds.push(found.person!.id);
        }
      }
    }
    let leaderId: number | undefined;
    if (!empty('leader')) {
      const words = names(at(record, 'leader'));
      if (words.length === 0) problem('leader', '不能为空');
      else if (words.length > 1) {
        problem('leader', `每个班次只填一位带班领导（写了 ${quoted(words.join('、'))}）`);
      } else {
        const found = lookup(words[0]!);
        if (found.problem) problem('leader', found.problem);
        else leaderId = found.person!.id;
      }
    }
    const place = text(at(record, 'place')) || null;
    if (problems.length > before || !date || range.start === undefined || range.end === undefined) continue;
    rows.push({
      row: record.row,
      date,
      name,
      startsAt: localInstant(date, range.start, options.timeZone),
      endsAt: localInstant(date, range.end, options.timeZone),
      place,
      personIds,
      leaderId: leaderId!,
    });
  }

  problems.push(...crossRowProblems(rows, options.people));
  if (rows.length === 0 && problems.length === 0) {
    problems.push({ row: headerRow, message: '表头下面没有任何班次' });
  }
  if (problems.length > 0) {
    const rank = (column?: string) => ORDER.findIndex((key) => COLUMNS[key].label === column);
    problems.sort((a, b) => (a.row ?? 0) - (b.row ?? 0) || rank(a.column) - rank(b.column));
    throw new RosterFileError(file, problems);
  }
  const dates = rows.map((row) => row.date).sort();
  return { file, from: dates[0]!, to: dates.at(-1)!, rows };
}

/** The same shift twice, or a person on duty in two shifts at once. */
function crossRowProblems(rows: RosterRow[], people: readonly RosterPerson[]): RosterProblem[] {
  const problems: RosterProblem[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const key = `${row.date}\u0000${row.name}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push({
        row: row.row,
        column: '班次',
        message: `与第 ${earlier} 行重复（${row.date} 已有“${quoted(row.name)}”）`,
      });
    } else seen.set(key, row.row);
  }
  const nameOf = new Map(people.map((person) => [person.id, person.name]));
  const byPerson = new Map<number, RosterRow[]>();
  for (const row of rows) {
    for (const id of row.personIds) {
      const list = byPerson.get(id);
      if (list) list.push(row);
      else byPerson.set(id, [row]);
    }
  }
  for (const [id, list] of byPerson) {
    list.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.row - b.row);
    let latest: RosterRow | undefined;
    for (const row of list) {
      if (latest && row.startsAt < latest.endsAt) {
        const [first, second] = latest.row < row.row ? [latest, row] : [row, latest];
        problems.push({
          row: second.row,
          column: '值班人员',
          message: `${nameOf.get(id)} 与第 ${first.row} 行的班次（${first.date} ${quoted(first.name)}）时间重叠`,
        });
      }
      if (!latest || row.endsAt > latest.endsAt) latest = row;
    }
  }
  return problems;
}

/** The period a roster covers, for messages: `2026-11-30 至 2026-12-06`. */
export const periodLabel = (roster: { from: IsoDate; to: IsoDate }) =>
  roster.from === roster.to ? roster.from : `${roster.from} 至 ${roster.to}`;
