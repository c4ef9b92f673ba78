// The monthly 大检查 walked in the demo's chat simulator (issue 20, "Done when"): over HTTP, as the office
// director, `开始检查` starts the round, each item's card is answered through the simulator's press form
// (two 不合格 with their 问题描述), `检查签字` signs it; the two failures are routed hazards (来源 检查) and
// the round's 排查登记表 downloads from the console with the cells the seeds ask for.
import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { checklistItems, checklists, hazards, inspectionRounds, people, units } from '../db/schema.ts';
import { REGISTER_COLUMNS } from '../handlers/inspection-rules.ts';
import { Browser, csrfOf, stripTags } from './helpers/console-http.ts';
import { useDemoService } from './helpers/demo-service.ts';
import { sheetRows } from './helpers/files.ts';

/** Friday 2026-11-20, 10:00 in Shanghai. */
const NOW = new Date('2026-11-20T02:00:00Z');
const LIST = '每月安全保卫工作大检查';
const FAILS: Record<string, string> = {
  消防通道是否畅通: '北楼消防通道堆放课桌椅',
  学校用电线路有无安全隐患: '配电间线路老化，有裸露接头',
};

describe('a monthly round in the simulator', () => {
  const demo = useDemoService(NOW);

  it('turns two failing items into routed hazards and exports the round’s register', async () => {
    const { database, service } = demo;
    expect(service.demo).toBe(true);
    const browser = new Browser((path, init) => service.app.request(path, init));
    const [office] = await database.db.select().from(people).where(eq(people.code, 'zhouyinyin'));
    const at = `/?person=${office!.id}`;
    const person = String(office!.id);
    const say = async (text: string) => {
      const page = await browser.page(at);
      const said = await browser.post('/console/say', {
        _csrf: csrfOf(page.html),
        person,
        page: crypto.randomUUID(),
        text,
      });
      expect(said.status).toBe(303);
      return stripTags((await browser.page(at)).html);
    };

    expect(await say(`开始检查 ${LIST}`)).toContain(`${LIST}（1/16）`);
    const [round] = await database.db.select().from(inspectionRounds);
    const items = await database.db
      .select({ id: checklistItems.id, text: checklistItems.text })
      .from(checklistItems)
      .innerJoin(checklists, eq(checklists.id, checklistItems.checklistId))
      .where(and(eq(checklists.code, 'yue-da-jian-cha'), eq(checklistItems.archived, false)))
      .orderBy(asc(checklistItems.position));
    expect(items).toHaveLength(16);
    for (const item of items) {
      const page = await browser.page(at);
      const note = FAILS[item.text];
      // What the card's 合格 button and its 不合格 form post (render.ts: form fields as `form.<name>`).
      const pressed = await browser.post('/console/press', {
        _csrf: csrfOf(page.html),
        person,
        page: crypto.randomUUID(),
        action: 'round.result',
        args: JSON.stringify({
          round: String(round!.id),
          item: String(item.id),
          result: note ? 'fail' : 'pass',
        }),
        ...(note ? { 'form.note': note } : {}),
      });
      expect(pressed.status).toBe(303);
    }
    const signed = await say('检查签字');
    expect(signed).toContain(`${round!.code} 已签字`);

    // Two hazards, from the inspection, routed by the category table: 消防 → 安保处, 线路 → 总务处.
    const filed = await database.db
      .select({
        code: hazards.code,
        origin: hazards.origin,
        description: hazards.description,
        unit: units.name,
      })
      .from(hazards)
      .leftJoin(units, eq(units.id, hazards.unitId))
      .orderBy(asc(hazards.id));
    expect(filed).toEqual([
      {
        code: 'YH-JSZX-2026-0001',
        origin: 'inspection',
        description: '消防通道是否畅通：北楼消防通道堆放课桌椅',
        unit: '安保处',
      },
      {
        code: 'YH-JSZX-2026-0002',
        origin: 'inspection',
        description: '学校用电线路有无安全隐患：配电间线路老化，有裸露接头',
        unit: '总务处',
      },
    ]);

    // The round's 排查登记表 from the console: one row per item; the failures name their hazard.
    const file = await browser.get(`/console/rounds/${round!.id}/register`);
    expect(file.status).toBe(200);
    const [header, ...rows] = await sheetRows(file, 2);
    expect(header).toEqual([...REGISTER_COLUMNS]);
    const itemRows = rows.filter((row) => row[0] === '2026-11-20');
    expect(itemRows).toHaveLength(16);
    expect(itemRows.find((row) => row[3] === '消防通道是否畅通')).toEqual([
      '2026-11-20',
      '周尹尹',
      '全校',
      '消防通道是否畅通',
      '不合格',
      '北楼消防通道堆放课桌椅',
      'YH-JSZX-2026-0001',
      '已上报',
    ]);
    expect(itemRows.find((row) => row[3] === '学校用电线路有无安全隐患')!.slice(4, 7)).toEqual([
      '不合格',
      '配电间线路老化，有裸露接头',
      'YH-JSZX-2026-0002',
    ]);
    expect(itemRows.filter((row) => row[4] === '合格')).toHaveLength(14);
  });
});
