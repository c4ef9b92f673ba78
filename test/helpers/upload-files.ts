// Hostile and large upload files, built the way an attacker (or an unlucky export) would: XLSX archives
// whose inflated XML dwarfs the upload, an archive that lies about its sizes, huge CSVs and YAML files.
// Used by test/uploads.test.ts and bench/uploads.ts.
import ExcelJS from 'exceljs';
import JSZip from 'jszip';

const HEADER = ['日期', '班次', '时间', '值班人员', '带班领导'];

/** A roster workbook: the header and one row whose date cell holds `BOMB` (replaced by the callers). */
async function template(): Promise<JSZip> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('值班表');
  sheet.addRow(HEADER);
  sheet.addRow(['BOMB', '白班', '08:00-17:00', '张三', '李四']);
  return JSZip.loadAsync(await workbook.xlsx.writeBuffer());
}

const deflate = async (zip: JSZip) =>
  new Uint8Array(
    await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE', compressionOptions: { level: 9 } }),
  );

/** A roster XLSX whose first shift's date cell is `text` (a shared string). */
export async function xlsxWithCell(text: string): Promise<Uint8Array> {
  const zip = await template();
  const strings = await zip.file('xl/sharedStrings.xml')!.async('string');
  zip.file('xl/sharedStrings.xml', strings.replace('<t>BOMB</t>', `<t>${text}</t>`));
  return deflate(zip);
}

/** A roster XLSX with `rows` shift rows after the header, each with a bad date (`BOMB`). */
export async function xlsxWithRows(rows: number, columns = 5): Promise<Uint8Array> {
  const zip = await template();
  const sheet = await zip.file('xl/worksheets/sheet1.xml')!.async('string');
  const letters = (n: number): string =>
    n < 26 ? String.fromCharCode(65 + n) : letters(Math.floor(n / 26) - 1) + letters(n % 26);
  const body: string[] = [];
  for (let r = 2; r <= rows + 1; r++) {
    const cells: string[] = [];
    for (let c = 0; c < columns; c++)
      cells.push(`<c r="${letters(c)}${r}" t="s"><v>${c < 5 ? 5 + c : 6}</v></c>`);
    body.push(`<row r="${r}">${cells.join('')}</row>`);
  }
  zip.file(
    'xl/worksheets/sheet1.xml',
    sheet.replace(/<row r="2"[\s\S]*?<\/row>/, body.join('')).replace(/<dimension ref="[^"]*"\/>/, ''),
  );
  return deflate(zip);
}

/**
 * `bytes` (a zip) with every entry's declared uncompressed size, in the local headers and the central
 * directory, rewritten to `size`: an archive that lies about how large it inflates (APPNOTE 4.3.7, 4.3.12).
 */
export function lyingSizes(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i + 4 <= out.length; i++) {
    const signature = view.getUint32(i, true);
    if (signature === 0x04034b50) view.setUint32(i + 22, size, true);
    else if (signature === 0x02014b50) view.setUint32(i + 24, size, true);
  }
  return out;
}

/** A roster CSV of `rows` shifts, the dates running from 2027-01-01, each naming `person` and `leader`. */
export function csvWithRows(rows: number, person = '张三', leader = '李四'): string {
  const lines = ['日期,班次,时间,值班人员,带班领导'];
  const start = Date.UTC(2027, 0, 1);
  for (let i = 0; i < rows; i++) {
    const date = new Date(start + Math.floor(i / 2) * 86_400_000).toISOString().slice(0, 10);
    lines.push(
      `${date},${i % 2 ? '夜班' : '白班'},${i % 2 ? '20:00-08:00' : '08:00-17:00'},${person},${leader}`,
    );
  }
  return lines.join('\n');
}

/** An organization file with `keys` extra keys in one mapping (YAML's duplicate-key check is quadratic). */
export function yamlWithKeys(keys: number): string {
  const lines = ['tenant: { code: bomb, name: 炸弹学校 }', 'extra:'];
  for (let i = 0; i < keys; i++) lines.push(`  k${i}: 1`);
  return lines.join('\n');
}
