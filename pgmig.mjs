import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
const db = new PGlite(process.argv[2], { startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'] });
await db.waitReady;
const cpu = () => { const c = process.cpuUsage(); return Math.round((c.user + c.system) / 1000); };
let t = performance.now(), c = cpu();
const lap = (n) => { const t2 = performance.now(), c2 = cpu(); console.log(n.padEnd(20), Math.round(t2 - t), 'ms cpu', c2 - c); t = t2; c = c2; };
lap('open');
if (process.env.FAST) { await db.query('select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1'); lap('fast check'); }
await migrate(drizzle({ client: db }), { migrationsFolder: 'db/migrations' }); lap('migrate');
await migrate(drizzle({ client: db }), { migrationsFolder: 'db/migrations' }); lap('migrate again');
await db.query(`select count(*) from outbox where status = 'pending'`); lap('outbox q');
await db.close(); lap('close');
