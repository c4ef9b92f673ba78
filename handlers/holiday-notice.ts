// The State Council's yearly holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知), pasted as text,
// read into the holidays and make-up workdays of a calendar override (handlers/calendar.ts).
//
// The notices keep one form since 2008: a numbered item per festival, e.g.
//   二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
//   四、劳动节：5月1日放假，与周末连休。
//   三、清明节：4月5日放假，4月6日（星期一）补休。
// Only the days named as 放假/补休 are holidays (weekends next to them stay plain weekends, as in the
// `chinese-days` data); the days named as 上班 are make-up workdays.
import { type IsoDate, isIsoDate } from './calendar.ts';

/** The festivals every notice names (中秋节 and 国庆节 may share one item). */
const FESTIVALS = ['元旦', '春节', '清明', '劳动', '端午', '中秋', '国庆'] as const;
const FESTIVAL_LABEL: Record<(typeof FESTIVALS)[number], string> = {
  元旦: '元旦',
  春节: '春节',
  清明: '清明节',
  劳动: '劳动节',
  端午: '端午节',
  中秋: '中秋节',
  国庆: '国庆节',
};

export interface NoticeItem {
  /** 1-based line of the pasted text. */
  line: number;
  /** As the notice names it: 春节, 国庆节、中秋节. */
  name: string;
  holidays: IsoDate[];
  workdays: IsoDate[];
}

export interface HolidayNotice {
  year: number;
  /** The notice's number (国办发明电〔2024〕12号) or its title, when the text has one. */
  source?: string;
  items: NoticeItem[];
  holidays: IsoDate[];
  workdays: IsoDate[];
}

export interface NoticeProblem {
  /** 1-based line; 0 for the text as a whole. */
  line: number;
  message: string;
}

export type NoticeResult = { ok: true; notice: HolidayNotice } | { ok: false; problems: NoticeProblem[] };

const WEEKDAYS = '日一二三四五六';
// After NFKC: ASCII digits, parentheses, colon and comma.
const DATE = /(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日(?:\(([^)]*)\))?/g;
const DATE_TEST = /\d{1,2}日/;
const ITEM = /^(?:[一二三四五六七八九十]+、|\d+[、.])?\s*([^:,。]{1,16}?):(.+)$/;
const TITLE_YEAR = /关于(\d{4})年(?:部分)?节假日安排/;
const DOC_NUMBER = /国办发明电〔\d{4}〕\d+号/;

export const describeDate = (date: IsoDate) =>
  `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日（周${WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]}）`;

const weekdayOf = (date: IsoDate) => new Date(`${date}T00:00:00Z`).getUTCDay();
const iso = (year: number, month: number, day: number) =>
  `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
const nextDay = (date: IsoDate) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * Reads a pasted notice. `year` is the year the notice is for (given by the office, or read from the
 * title "关于2027年部分节假日安排的通知"); a December date in the 元旦 item, or the December end of a
 * range that wraps into January, belongs to the year before. Every line it cannot read is named.
 */
export function parseHolidayNotice(text: string, options: { year?: number } = {}): NoticeResult {
  const originals = text.split(/\r\n|\r|\n/);
  const lines = originals.map((line) => line.normalize('NFKC'));
  const problems: NoticeProblem[] = [];
  const titleLine = lines.findIndex((line) => TITLE_YEAR.test(line));
  const titleYear = titleLine >= 0 ? Number(TITLE_YEAR.exec(lines[titleLine]!)![1]) : undefined;
  const year = options.year ?? titleYear;
  if (year === undefined) {
    return {
      ok: false,
      problems: [
        {
          line: 0,
          message:
            '看不出是哪一年的安排：请保留通知标题（“国务院办公厅关于2027年部分节假日安排的通知”）或填写年份',
        },
      ],
    };
  }
  if (titleYear !== undefined && titleYear !== year) {
    problems.push({
      line: titleLine + 1,
      message: `通知标题是 ${titleYear} 年，填写的年份是 ${year} 年，请核对`,
    });
  }
  const source = text.normalize('NFKC').match(DOC_NUMBER)?.[0] ?? lines[titleLine]?.trim();

  const items: NoticeItem[] = [];
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.replace(/\s+/g, '');
    if (!line) return;
    const item = ITEM.exec(line);
    const named = item && FESTIVALS.some((festival) => item[1]!.includes(festival));
    if (!named) {
      // The preamble, the closing paragraph, the signature and its date carry no schedule.
      const looksLikeItem =
        /^(?:[一二三四五六七八九十]+、|\d+[、.])/.test(line) ||
        /^\d{1,2}月\d{1,2}日/.test(line) ||
        FESTIVALS.some((festival) => line.startsWith(festival));
      if (looksLikeItem && /放假|上班|补休|调休/.test(line)) {
        problems.push({
          line: lineNo,
          message: `看不懂这一行：${originals[index]!.trim()}（应为“一、元旦：1月1日放假…”）`,
        });
      }
      return;
    }
    const name = item[1]!;
    const parsed = parseItem(name, item[2]!, year);
    for (const message of parsed.problems) problems.push({ line: lineNo, message: `${name}：${message}` });
    items.push({ line: lineNo, name, holidays: parsed.holidays, workdays: parsed.workdays });
  });

  if (items.length === 0) {
    return {
      ok: false,
      problems: [
        ...problems,
        { line: 0, message: '没有找到放假安排：请粘贴通知正文（“一、元旦：1月1日放假…”等各条）' },
      ],
    };
  }
  const missing = FESTIVALS.filter((festival) => !items.some((item) => item.name.includes(festival)));
  if (missing.length > 0) {
    problems.push({
      line: 0,
      message: `通知不完整，缺少：${missing.map((festival) => FESTIVAL_LABEL[festival]).join('、')}（整年的安排导入后才按节假日计算）`,
    });
  }

  const holidayLine = new Map<IsoDate, number>();
  for (const item of items) for (const date of item.holidays) holidayLine.set(date, item.line);
  const workdays = new Set<IsoDate>();
  for (const item of items) {
    for (const date of item.workdays) {
      const other = holidayLine.get(date);
      if (other !== undefined) {
        problems.push({
          line: item.line,
          message: `${describeDate(date)}既是假日（第 ${other} 行）又是上班日`,
        });
      }
      workdays.add(date);
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    notice: {
      year,
      ...(source ? { source } : {}),
      items,
      holidays: [...holidayLine.keys()].sort(),
      workdays: [...workdays].sort(),
    },
  };
}

/** Consecutive dates as ranges: 1月28日（周二）至2月4日（周二）、2月8日（周六）. */
export function describeDays(dates: readonly IsoDate[]): string {
  const runs: IsoDate[][] = [];
  for (const date of [...dates].sort()) {
    const run = runs.at(-1);
    if (run && nextDay(run.at(-1)!) === date) run.push(date);
    else runs.push([date]);
  }
  return runs
    .map((run) =>
      run.length === 1
        ? describeDate(run[0]!)
        : `${describeDate(run[0]!)}至${describeDate(run.at(-1)!)}（${run.length}天）`,
    )
    .join('、');
}

/** What the notice says, one line per festival, for the office to compare with the notice. */
export function noticeSummary(notice: HolidayNotice): string {
  return [
    `${notice.year}年节假日安排${notice.source ? `（${notice.source}）` : ''}：`,
    ...notice.items.map(
      (item) =>
        `  ${item.name}　放假 ${describeDays(item.holidays)}${item.workdays.length > 0 ? `；上班 ${describeDays(item.workdays)}` : ''}`,
    ),
    `共放假 ${notice.holidays.length} 天，调休上班 ${notice.workdays.length} 天。`,
  ].join('\n');
}

interface NamedDate {
  date?: IsoDate;
  weekday?: number;
  text: string;
}

function parseItem(name: string, body: string, year: number) {
  const problems: string[] = [];
  const holidays: IsoDate[] = [];
  const workdays: IsoDate[] = [];
  const isNewYear = name.includes('元旦');
  for (const sentence of body.split('。')) {
    let lastRange: IsoDate[] | undefined;
    const checkTotal = (text: string) => {
      const total = /共(\d+)天/.exec(text);
      if (total && lastRange && Number(total[1]) !== lastRange.length) {
        problems.push(
          `写的是共 ${total[1]} 天，${describeDate(lastRange[0]!)}至${describeDate(lastRange.at(-1)!)}却是 ${lastRange.length} 天`,
        );
      }
    };
    // Each date belongs to the first 放假 / 补休 / 上班 after it: "4月5日放假，4月6日（星期一）补休".
    let rest = sentence;
    for (const segment of sentence.matchAll(/(.*?)(放假|补休|上班)/g)) {
      rest = sentence.slice((segment.index ?? 0) + segment[0].length);
      const [, text, verb] = segment as unknown as [string, string, string];
      checkTotal(text);
      const dates = readDates(text, year, isNewYear, problems);
      const known = dates.flatMap((entry) => (entry.date ? [entry.date] : []));
      if (known.length === 0) continue;
      if (verb === '上班') {
        for (const date of known) {
          const weekday = weekdayOf(date);
          if (weekday !== 0 && weekday !== 6)
            problems.push(`${describeDate(date)}本来就是工作日，不是调休上班日`);
          workdays.push(date);
        }
        continue;
      }
      const range = /至/.test(text) && known.length === 2 ? spanOf(known[0]!, known[1]!) : undefined;
      if (range === null) problems.push(`“${text}”的结束日期早于开始日期`);
      if (range) lastRange = range;
      holidays.push(...(range ?? known));
    }
    checkTotal(rest);
    if (DATE_TEST.test(rest)) problems.push(`“${rest}”没有写明是放假、补休还是上班`);
  }
  if (holidays.length === 0 && problems.length === 0) problems.push('没有放假日期');
  return { holidays, workdays, problems };
}

/** The days from `from` to `to`, both included; null when `to` is before `from`. */
function spanOf(from: IsoDate, to: IsoDate): IsoDate[] | null {
  if (to < from) return null;
  const days: IsoDate[] = [];
  for (let day = from; day <= to; day = nextDay(day)) days.push(day);
  return days;
}

function readDates(clause: string, year: number, isNewYear: boolean, problems: string[]): NamedDate[] {
  const out: NamedDate[] = [];
  let month: number | undefined;
  let dateYear: number | undefined;
  for (const match of clause.matchAll(DATE)) {
    const [text, y, m, d, note] = match;
    if (m) month = Number(m);
    if (month === undefined) {
      problems.push(`“${text}”没有写月份`);
      out.push({ text });
      continue;
    }
    const previous = out.at(-1)?.date;
    if (y) dateYear = Number(y);
    else if (dateYear === undefined) dateYear = isNewYear && month === 12 ? year - 1 : year;
    // 12月31日至1月2日: the end of a range that wraps into January is in the next year.
    if (!y && previous && m && Number(previous.slice(5, 7)) > month)
      dateYear = Number(previous.slice(0, 4)) + 1;
    const date = iso(dateYear, month, Number(d));
    if (!isIsoDate(date)) {
      problems.push(`${dateYear}年没有${month}月${Number(d)}日`);
      out.push({ text });
      continue;
    }
    const weekdayMatch = note ? /(?:周|星期|礼拜)([一二三四五六日天])/.exec(note) : null;
    const weekday = weekdayMatch
      ? WEEKDAYS.indexOf(weekdayMatch[1] === '天' ? '日' : weekdayMatch[1]!)
      : undefined;
    if (weekday !== undefined && weekday !== weekdayOf(date)) {
      problems.push(
        `${dateYear}年${month}月${Number(d)}日是周${WEEKDAYS[weekdayOf(date)]}，通知写的是周${WEEKDAYS[weekday]}：请核对年份或日期`,
      );
    }
    out.push({ date, text, ...(weekday !== undefined ? { weekday } : {}) });
  }
  return out;
}
