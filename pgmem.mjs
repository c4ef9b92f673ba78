import { readFileSync } from 'node:fs';
const { PGlite } = await import('@electric-sql/pglite');
const db = new PGlite(process.argv[2], { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=' + (process.env.SB ?? '32MB'), ...(process.env.EXTRA ? process.env.EXTRA.split(' ') : [])], ...(process.env.MEM ? { initialMemory: Number(process.env.MEM) * 2**20 } : {}) });
await db.waitReady;
await db.query('select count(*) from pg_class');
await new Promise(r => setTimeout(r, 1000));
const smaps = readFileSync('/proc/self/smaps', 'utf8').split('\n');
let cur; const regions = [];
for (const line of smaps) { if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) { const [range, , , , , path] = line.split(/\s+/); const [a, b] = range.split('-').map(x => parseInt(x, 16)); cur = { size: (b - a) / 2**20, path: path ?? '', rss: 0 }; regions.push(cur); } else if (line.startsWith('Rss:')) cur.rss = Number(line.split(/\s+/)[1]) / 1024; }
regions.sort((x, y) => y.rss - x.rss);
for (const r of regions.slice(0, 8)) console.log(r.rss.toFixed(1).padStart(7), 'MiB of', r.size.toFixed(0).padStart(7), r.path);
const mu = process.memoryUsage(); console.log('total rss', Math.round(mu.rss / 2**20), 'heap', Math.round(mu.heapUsed/2**20), 'external', Math.round(mu.external/2**20), 'wasm mem', db.mod?.HEAP8?.length / 2**20);
await db.close();
