// An .xlsx is a zip of XML parts (ECMA-376 Part 2, OPC). A few hundred KB of it can inflate to gigabytes
// and hold millions of cells, and exceljs builds all of them in memory before anything can look. This
// reads the archive first, with jszip (the zip reader exceljs itself uses): the declared sizes of its
// entries, then the bytes they actually inflate to (declared sizes can lie), counting the rows and cells
// of the worksheets and the longest text run of every XML part on the way, and stops at the first limit.
import type JSZip from 'jszip';
import { UPLOAD_LIMITS, type UploadLimits } from './upload-limits.ts';

/** The bytes an XML text may take per character of a cell: `&quot;` is 6 bytes for one character. */
const BYTES_PER_CHAR = 6;

/** Counts `<row>` and `<c>` elements and the longest text between tags, over chunks of UTF-8 XML. */
class XmlCounter {
  rows = 0;
  cells = 0;
  longestText = 0;
  declaration = false;
  private inTag = false;
  private name: number[] = [];
  private nameDone = false;
  private run = 0;

  feed(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 0x3c /* < */) {
        this.inTag = true;
        this.name = [];
        this.nameDone = false;
        this.run = 0;
      } else if (this.inTag) {
        if (byte === 0x3e /* > */) {
          this.endName();
          this.inTag = false;
        } else if (!this.nameDone) {
          const ends = byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
          if (ends || (byte === 0x2f /* / */ && this.name.length > 0)) this.endName();
          else if (this.name.length === 0 && byte === 0x21 /* ! */) this.declaration = true;
          else if (this.name.length < 16) this.name.push(byte);
        }
      } else if (++this.run > this.longestText) this.longestText = this.run;
    }
  }

  private endName(): void {
    if (this.nameDone) return;
    this.nameDone = true;
    const name = String.fromCharCode(...this.name);
    const local = name.slice(name.indexOf(':') + 1);
    if (local === 'row') this.rows++;
    else if (local === 'c') this.cells++;
  }
}

/** Reads an entry's inflated bytes chunk by chunk; resolves false as soon as `onChunk` returns false. */
function inflate(entry: JSZip.JSZipObject, onChunk: (chunk: Uint8Array) => boolean): Promise<boolean> {
  // internalStream is jszip's documented streaming reader (missing from its type declarations).
  const stream = (
    entry as unknown as { internalStream(type: 'uint8array'): JSZip.JSZipStreamHelper<Uint8Array> }
  ).internalStream('uint8array');
  return new Promise((resolve, reject) => {
    let stopped = false;
    stream
      .on('data', (chunk) => {
        if (stopped || onChunk(chunk)) return;
        stopped = true;
        stream.pause();
        resolve(false);
      })
      .on('error', (error) => (stopped ? undefined : reject(error)))
      .on('end', () => (stopped ? undefined : resolve(true)))
      .resume();
  });
}

const megabytes = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;

/**
 * Why an XLSX file may not be read (a message for the uploader), or undefined when it stays within the
 * limits. A damaged archive is left to exceljs, which says what it found.
 */
export async function xlsxProblem(bytes: Uint8Array, limits: UploadLimits = UPLOAD_LIMITS) {
  let zip: JSZip;
  try {
    const { default: JSZip } = await import('jszip');
    zip = await JSZip.loadAsync(bytes, { checkCRC32: false });
  } catch {
    return undefined;
  }
  const entries = Object.values(zip.files).filter((entry) => !entry.dir);
  const tooLarge = (declared?: number) =>
    `文件解压后超过 ${megabytes(limits.inflatedBytes)}${declared === undefined ? '' : `（约 ${megabytes(declared)}）`}，不像是一份值班表；请只保留值班表所在的工作表后重新导入`;
  // The sizes the archive declares (its central directory, which jszip has read): a cheap first refusal.
  let declared = 0;
  for (const entry of entries) {
    const size = (entry as unknown as { _data?: { uncompressedSize?: unknown } })._data?.uncompressedSize;
    declared += typeof size === 'number' && size >= 0 ? size : Number.POSITIVE_INFINITY;
  }
  if (declared > limits.inflatedBytes) return tooLarge(Number.isFinite(declared) ? declared : undefined);
  // The bytes it actually inflates to, never more than the limit (plus one chunk).
  let inflated = 0;
  const sheets = new XmlCounter();
  let longestText = 0;
  for (const entry of entries) {
    const counter = /^xl\/worksheets\/[^/]+\.xml$/i.test(entry.name) ? sheets : new XmlCounter();
    const xml = /\.(xml|rels)$/i.test(entry.name);
    const within = await inflate(entry, (chunk) => {
      inflated += chunk.length;
      if (inflated > limits.inflatedBytes) return false;
      if (xml) counter.feed(chunk);
      return true;
    }).catch(() => true);
    if (!within) return tooLarge();
    if (counter.declaration) {
      return 'XLSX 文件中含有 Excel 不会写入的 XML 声明（<!…>），可能不是 Excel 保存的文件；请在 Excel 中打开并另存后重新导入';
    }
    longestText = Math.max(longestText, counter.longestText);
  }
  if (sheets.rows > limits.rows) {
    return `工作簿共有 ${sheets.rows} 行，超过 ${limits.rows} 行的上限；请按学期或月份分成几个文件导入`;
  }
  if (sheets.cells > limits.cells) {
    return `工作簿共有 ${sheets.cells} 个单元格，超过 ${limits.cells} 个的上限；请删除值班表以外的内容后重新导入`;
  }
  if (longestText > limits.cellChars * BYTES_PER_CHAR) {
    return `有单元格的内容超过 ${limits.cellChars} 字；值班表的单元格只需写日期、班次、时间、人员和地点`;
  }
  return undefined;
}
