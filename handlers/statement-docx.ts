// The 述职述安 report as a Word document (DOCX, the `docx` package): A4, the title in 黑体 centred, parts in
// 黑体, sections in 楷体, text in 仿宋 三号 with a two-character first-line indent, the signature on the
// right — the layout of an official report (党政机关公文格式, GB/T 9704, simplified). Laid out from the
// report's text (statementBlocks), so an edited version is laid out as the draft is.
import type { Paragraph } from 'docx';

/** The `docx` package, loaded on the first report (not at start: bot/node.ts keeps the start light). */
type Docx = typeof import('docx');

import { type StatementBlock, statementBlocks } from './statement.ts';

const font = (name: string) => ({ ascii: name, eastAsia: name, hAnsi: name, cs: name });
/** 三号 is 16 pt; docx sizes are half-points. */
const BODY = 32;
/** One character of 三号 in twentieths of a point: the first-line indent is two of them. */
const CHAR = 320;

function paragraph(docx: Docx, block: StatementBlock): Paragraph {
  const { AlignmentType, Paragraph, TextRun } = docx;
  switch (block.kind) {
    case 'title':
      return new Paragraph({
        alignment: AlignmentType.CENTER,
        spacing: { after: 240 },
        children: [new TextRun({ text: block.text, font: font('黑体'), size: 44, bold: true })],
      });
    case 'byline':
      return new Paragraph({
        alignment: AlignmentType.CENTER,
        spacing: { after: 240 },
        children: [new TextRun({ text: block.text, font: font('楷体'), size: BODY })],
      });
    case 'part':
      return new Paragraph({
        indent: { firstLine: 2 * CHAR },
        spacing: { before: 120 },
        children: [new TextRun({ text: block.text, font: font('黑体'), size: BODY })],
      });
    case 'section':
      return new Paragraph({
        indent: { firstLine: 2 * CHAR },
        children: [new TextRun({ text: block.text, font: font('楷体'), size: BODY, bold: true })],
      });
    case 'signature':
      return new Paragraph({
        alignment: AlignmentType.RIGHT,
        indent: { right: 4 * CHAR },
        children: [new TextRun({ text: block.text, font: font('仿宋'), size: BODY })],
      });
    default:
      return new Paragraph({
        indent: { firstLine: 2 * CHAR },
        alignment: AlignmentType.JUSTIFIED,
        children: [new TextRun({ text: block.text, font: font('仿宋'), size: BODY })],
      });
  }
}

/** The report's text as a DOCX file. */
export async function statementDocx(text: string, meta: { author: string }): Promise<Buffer> {
  const docx = await import('docx');
  const blocks = statementBlocks(text);
  const document = new docx.Document({
    creator: '一岗双责安全助手',
    lastModifiedBy: meta.author,
    title: blocks[0]?.text ?? '述职述安报告',
    styles: {
      default: {
        document: {
          run: { font: font('仿宋'), size: BODY },
          paragraph: { spacing: { line: 560, lineRule: 'exact' } },
        },
      },
    },
    sections: [
      {
        properties: {
          page: {
            // A4 with the margins of GB/T 9704: 37 mm top, 35 mm bottom, 28 mm left, 26 mm right.
            size: { width: 11906, height: 16838 },
            margin: { top: 2098, bottom: 1984, left: 1587, right: 1474 },
          },
        },
        children: blocks.map((block) => paragraph(docx, block)),
      },
    ],
  });
  return docx.Packer.toBuffer(document);
}
