// Upload bombs, one per process (`npx tsx bench/uploads.ts <case>` under /usr/bin/time -v for the peak
// memory): parses the file as the console does and prints how long the event loop was blocked and how
// the parse ended. Cases: xlsx-cell (one 200 MB cell), xlsx-rows (250,000 rows), xlsx-lying (the
// 200 MB cell, its sizes declared as 1,000 bytes), csv-20000 (19,999 rows, within the limits), csv-rows (60,000 rows),
// yaml-keys (40,000 keys).
import { parseOrgFile } from '../handlers/org-file.ts';
import { parseRoster } from '../handlers/roster-file.ts';
import {
  csvWithRows,
  lyingSizes,
  xlsxWithCell,
  xlsxWithRows,
  yamlWithKeys,
} from '../test/helpers/upload-files.ts';

const PEOPLE = [
  { id: 1, code: 'zhangsan', name: '张三', archived: false },
  { id: 2, code: 'lisi', name: '李四', archived: false },
];
const which = process.argv[2];
const files: Record<string, () => Promise<Uint8Array>> = {
  'xlsx-cell': () => xlsxWithCell('A'.repeat(200_000_000)),
  'xlsx-rows': () => xlsxWithRows(250_000),
  'xlsx-lying': async () => lyingSizes(await xlsxWithCell('A'.repeat(200_000_000)), 1000),
  'csv-rows': async () => new TextEncoder().encode(csvWithRows(60_000)),
  'csv-20000': async () => new TextEncoder().encode(csvWithRows(19_999)),
  'yaml-keys': async () => new TextEncoder().encode(yamlWithKeys(40_000)),
};
if (!which || !files[which]) {
  process.stderr.write(`usage: npx tsx bench/uploads.ts <${Object.keys(files).join('|')}>\n`);
  process.exit(2);
}
const bytes = await files[which]();
global.gc?.();
const rssBefore = process.memoryUsage().rss;
// The longest gap between ticks of a 10 ms timer: how long nothing else (a webhook) could have run.
let longest = 0;
let last = performance.now();
const ticker = setInterval(() => {
  const now = performance.now();
  longest = Math.max(longest, now - last - 10);
  last = now;
}, 10);
const started = performance.now();
let outcome: string;
try {
  if (which === 'yaml-keys') {
    parseOrgFile('bomb.yaml', new TextDecoder().decode(bytes));
    outcome = 'parsed';
  } else {
    const roster = await parseRoster(which.startsWith('csv') ? 'bomb.csv' : 'bomb.xlsx', bytes, {
      people: PEOPLE,
      timeZone: 'Asia/Shanghai',
    });
    outcome = `parsed ${roster.rows.length} rows`;
  }
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  outcome = `refused: ${message.length} chars: ${message.slice(0, 300)}`;
}
await new Promise((resolve) => setTimeout(resolve, 30));
clearInterval(ticker);
process.stdout.write(
  `${which}: file ${(bytes.length / 1024).toFixed(0)} KB, ${Math.round(performance.now() - started)} ms, ` +
    `longest event-loop block ${Math.round(longest)} ms, rss before parse ${Math.round(rssBefore / 2 ** 20)} MB\n${outcome}\n`,
);
