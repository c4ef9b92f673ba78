// What an uploaded file (a duty roster, an organization file) may cost, and the helpers every upload
// shares: reading its text (UTF-8 or GBK) and reporting its problems. The numbers fit a district's files
// with room to spare (a year of a school's rosters is ~1,000 rows; the district bureau's organization file
// is 73 KB) and keep a hostile file from taking more than a bounded share of memory and time.

export const UPLOAD_LIMITS = {
  /** A roster file (XLSX or CSV) as uploaded. */
  rosterBytes: 5 * 2 ** 20,
  /** An organization file (YAML). */
  orgBytes: 512 * 1024,
  /** An XLSX archive inflated: all its entries together (checked on the declared and the actual sizes). */
  inflatedBytes: 50 * 2 ** 20,
  /** Rows of a roster file, the header and title rows included. */
  rows: 20_000,
  /** Cells of an XLSX roster, counted before the workbook is built (rows × 20 columns). */
  cells: 400_000,
  /** Characters of one cell. */
  cellChars: 1_000,
  /** A parse is stopped (its thread terminated) after this long. */
  parseMs: 10_000,
  /** The heap a parse thread may grow to before it is stopped. */
  parseHeapMegabytes: 512,
  /** Problems listed in an error report; the rest are counted. */
  listedProblems: 50,
  /** Characters of a cell or value quoted in a problem. */
  quotedChars: 100,
} as const;

export type UploadLimits = { readonly [K in keyof typeof UPLOAD_LIMITS]: number };

/** `value`, cut to ~100 characters for quoting in a message. */
export function quoted(value: string): string {
  const chars = [...value.slice(0, UPLOAD_LIMITS.quotedChars * 2)];
  return chars.length > UPLOAD_LIMITS.quotedChars || value.length > UPLOAD_LIMITS.quotedChars * 2
    ? `${chars.slice(0, UPLOAD_LIMITS.quotedChars).join('')}…（共 ${[...value].length} 字）`
    : value;
}

/** The first 50 problems, and how many more there are. */
export function firstProblems<T>(problems: readonly T[]): { problems: T[]; omitted: number } {
  const listed = problems.slice(0, UPLOAD_LIMITS.listedProblems);
  return { problems: listed, omitted: problems.length - listed.length };
}

/** The line closing a report whose problems were not all listed. */
export const omittedLine = (omitted: number) => (omitted > 0 ? `另有 ${omitted} 处问题未列出` : '');

export type DecodedText = { text: string; encoding: 'utf-8' | 'gb18030' } | { problem: 'utf-16' | 'unknown' };

/**
 * The text of an uploaded file: UTF-8 (with or without a BOM) when the bytes are valid UTF-8, else
 * GB18030, the superset of GBK that Excel and Notepad on Chinese Windows save "ANSI" text in (the WHATWG
 * Encoding Standard decoder, built into the runtime). Bytes that are neither are refused, as is UTF-16.
 */
export function decodeText(bytes: Uint8Array): DecodedText {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problem: 'utf-16' };
  }
  for (const encoding of ['utf-8', 'gb18030'] as const) {
    try {
      // `fatal`: a byte sequence the encoding does not allow throws instead of becoming U+FFFD.
      const text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
      return { text: text.startsWith('\uFEFF') ? text.slice(1) : text, encoding };
    } catch {}
  }
  return { problem: 'unknown' };
}
