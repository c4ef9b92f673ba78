// Reading back the files the product writes: an XLSX's cells, a DOCX's paragraphs.
import { unzipSync } from 'fflate';

/** The cells of an XLSX's first sheet as text, from row `first` on (rows 1–2: title and header). */
export async function sheetRows(file: Response | Uint8Array, first = 3): Promise<string[][]> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  const bytes = file instanceof Uint8Array ? file : new Uint8Array(await file.arrayBuffer());
  await workbook.xlsx.load(bytes as never);
  const rows: string[][] = [];
  workbook.worksheets[0]!.eachRow((row, n) => {
    if (n >= first) rows.push((row.values as unknown[]).slice(1).map((value) => String(value ?? '')));
  });
  return rows;
}

/** A DOCX's paragraphs as text, in order (word/document.xml read with fflate). */
export function docxParagraphs(file: Uint8Array): string[] {
  const xml = new TextDecoder().decode(unzipSync(file)['word/document.xml']!);
  const decode = (text: string) =>
    text
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  return [...xml.matchAll(/<w:p[ >][\s\S]*?<\/w:p>/g)].map((paragraph) =>
    [...paragraph[0].matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g)].map((t) => decode(t[1]!)).join(''),
  );
}
