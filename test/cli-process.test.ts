// The command-line tools as the processes an operator starts (slow lane): each built `dist/cli/<tool>.js`
// runs its command when it is the process's entry (bot/cli/options.ts `runIfMain`), prints what it says and
// exits with its code — `--help` for every tool (no database), a wrong invocation, a real import into a
// PGlite folder and a failing one that writes nothing, and a ledger export that makes a photo's thumbnail on
// the built thumbnail thread. The tools' behaviour (arguments, messages, rows) is
// tested in process in the db lane (tools-*.test.ts, through test/helpers/cli.ts).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createEvidenceStore } from '../bot/core/evidence.ts';
import { openDatabase } from '../db/client.ts';
import { addHazardPhotos } from '../db/queries/hazards.ts';
import { tenantsByCode } from '../db/queries/tenants.ts';
import { hazards, people, storedFileThumbnails } from '../db/schema.ts';
import { SHEET_NAME } from '../handlers/ledger-export.ts';
import { CLIS } from '../scripts/build.mjs';
import { built } from './helpers/built.ts';
import { migratedDataDir } from './helpers/data-dir.ts';
import { exampleFile } from './helpers/db.ts';
import { decodeJpegImage, photoJpeg } from './helpers/images.ts';

/** The npm script that runs a tool (`org:import` for cli/org-import). */
const SCRIPTS = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  .scripts as Record<string, string>;
const scriptOf = (tool: string) =>
  Object.keys(SCRIPTS).find((name) => SCRIPTS[name]!.endsWith(`scripts/start.mjs cli/${tool}`));

const run = (args: string[], env: Record<string, string> = {}) =>
  promisify(execFile)('node', args, { env: { PATH: process.env.PATH ?? '', ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

describe('the built command-line tools', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-process-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('answer --help with their usage and exit 0, each of them; a wrong invocation exits 2', async () => {
    // A DATA_DIR that does not exist: a tool that opened its database on --help would create it.
    const env = { DATA_DIR: join(dir, 'never') };
    const helps = await Promise.all(
      (CLIS as string[]).map(async (tool) => ({ tool, ...(await run(built(`cli/${tool}`, '--help'), env)) })),
    );
    for (const help of helps) {
      expect(help.code, `${help.tool}: ${help.stderr}`).toBe(0);
      expect(help.stdout, help.tool).toMatch(/^用法：/);
      expect(help.stdout, help.tool).toContain(`npm run ${scriptOf(help.tool)}`);
      expect(help.stderr, help.tool).toBe('');
    }
    // Through the npm scripts' runner (scripts/start.mjs imports the built file, argv[1] set to it).
    const [viaStart, wrong] = await Promise.all([
      run(['scripts/start.mjs', 'cli/org-move', '--help'], env),
      run(built('cli/org-move', '--chat', 'feishu:oc_x'), env),
    ]);
    expect(viaStart).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^用法：npm run org:move -- --chat/),
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^缺少 --from（原单位代码）\n用法：npm run org:move/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  }, 120_000);

  it('org:import refuses an invalid file (exit 1, nothing written) and imports the example into a PGlite folder', async () => {
    const data = join(dir, 'data');
    const file = join(dir, 'bad.yaml');
    const document = parse(readFileSync(exampleFile('school.yaml'), 'utf8'));
    document.people[3].posts = ['ghost-post'];
    writeFileSync(file, stringify(document));
    const bad = await run(built('cli/org-import', file), { DATA_DIR: data });
    expect(bad).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `${file}: people[3].posts[0]: unknown post "ghost-post"\n`,
    });
    expect(existsSync(data)).toBe(false);

    // Into a migrated folder: the first start on a folder that does not exist (initdb and migrations) is
    // start.test.ts's.
    await migratedDataDir(data);
    const ok = await run(built('cli/org-import', exampleFile('school.yaml')), { DATA_DIR: data });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('已导入 jishan-school');
    const database = await openDatabase({ dataDir: data, migrate: false });
    try {
      expect((await tenantsByCode(database.db)).map((tenant) => tenant.code)).toEqual(['jishan-school']);
    } finally {
      await database.close();
    }
  }, 120_000);

  it('ledger:export makes a photo’s missing thumbnail on its thread (dist/bot/core/thumbnail-worker.mjs)', async () => {
    const data = join(dir, 'data');
    expect(existsSync(data), 'the folder the import above made').toBe(true);
    // A hazard with a photo kept before thumbnails existed (a store without a thread makes none).
    const database = await openDatabase({ dataDir: data, migrate: false });
    try {
      const [school] = await tenantsByCode(database.db);
      const [reporter] = await database.db
        .select()
        .from(people)
        .where(eq(people.tenantId, school!.id))
        .limit(1);
      const [hazard] = await database.db
        .insert(hazards)
        .values({
          tenantId: school!.id,
          reporterId: reporter!.id,
          sourceChannel: 'feishu',
          code: 'YH-T-0001',
          description: '灭火器过期',
        })
        .returning();
      const { file } = await createEvidenceStore({ db: database.db }).put(school!.id, photoJpeg(1200, 900), {
        imagesOnly: true,
      });
      await addHazardPhotos(database.db, [
        {
          tenantId: school!.id,
          hazardId: hazard!.id,
          channel: 'feishu',
          fileKey: 'img_t',
          fetchStatus: 'stored',
          fileId: file.id,
        },
      ]);
    } finally {
      await database.close();
    }
    const out = join(dir, 'ledger.xlsx');
    const year = new Date().getFullYear();
    const exported = await run(
      built('cli/ledger-export', '--from', `${year}-01-01`, '--to', `${year}-12-31`, '--out', out),
      {
        DATA_DIR: data,
      },
    );
    expect(exported.code, exported.stderr).toBe(0);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(readFileSync(out) as unknown as ExcelJS.Buffer);
    const [image] = workbook.getWorksheet(SHEET_NAME)!.getImages();
    const embedded = decodeJpegImage(
      workbook.getImage(Number(image!.imageId)).buffer as unknown as Uint8Array,
    );
    expect([embedded.width, embedded.height]).toEqual([128, 96]);
    const reopened = await openDatabase({ dataDir: data, migrate: false });
    try {
      expect(await reopened.db.$count(storedFileThumbnails)).toBe(1);
    } finally {
      await reopened.close();
    }
  }, 120_000);
});
