// `/console/calendar` (节假日安排): the office pastes the State Council's holiday notice, checks what was
// read (a table per festival, or every bad line named) and confirms; the year is then stored as the
// tenant's calendar (db/queries/calendar.ts). The confirmation reads the text again: nothing from the
// preview is trusted.
import { saveHolidayNotice } from '../../../db/queries/calendar.ts';
import { parseHolidayNotice } from '../../../handlers/holiday-notice.ts';
import { accountLabel } from '../../../handlers/party-labels.ts';
import type { Flash } from '../auth.ts';
import { type ConsoleKit, consoleApp } from '../kit.ts';
import { type CalendarValues, calendarPage } from './page.ts';

/** A notice is about 2,000 characters; anything much longer is not one. */
const MAX_NOTICE_CHARS = 20_000;

export function calendarRoutes(kit: ConsoleKit) {
  const { db, clock } = kit;
  const app = consoleApp();

  const frame = (flash?: Flash) => ({
    title: '节假日安排',
    active: 'calendar' as const,
    ...(flash ? { flash } : {}),
  });

  app.get('/console/calendar', kit.viewer, async (c) => {
    const flash = kit.takeFlash(c);
    return kit.render(c, calendarPage(c.var.viewer, { text: '', year: '' }, {}, clock()), frame(flash));
  });

  app.post('/console/calendar', kit.limit, kit.post, async (c) => {
    const { viewer, form } = c.var;
    const values: CalendarValues = {
      text: typeof form.text === 'string' ? form.text : '',
      year: typeof form.year === 'string' ? form.year.trim().slice(0, 10) : '',
    };
    const refuse = async (problems: string[]) =>
      kit.render(c, calendarPage(viewer, values, { problems }, clock()), frame(), 400);
    if (!values.text.trim()) return refuse(['请粘贴通知全文。']);
    if (values.text.length > MAX_NOTICE_CHARS) {
      return refuse([
        `通知全文最多 ${MAX_NOTICE_CHARS} 字，本次 ${values.text.length} 字：请只粘贴通知本身。`,
      ]);
    }
    if (values.year && !/^20\d\d$/.test(values.year))
      return refuse([`年份应写成 2027 这样的四位数，而不是“${values.year}”。`]);
    const result = parseHolidayNotice(values.text, values.year ? { year: Number(values.year) } : {});
    if (!result.ok) {
      return refuse(
        result.problems.map((problem) =>
          problem.line > 0 ? `第 ${problem.line} 行：${problem.message}` : problem.message,
        ),
      );
    }
    if (form.action !== 'confirm')
      return kit.render(c, calendarPage(viewer, values, { notice: result.notice }, clock()), frame());
    const by = viewer.account ? accountLabel(viewer.account) : '安全办公室（演示）';
    const { replaced } = await saveHolidayNotice(
      db,
      viewer.tenant.id,
      result.notice,
      { label: by, ...(viewer.account ? { accountId: viewer.account.id } : {}) },
      clock(),
    );
    kit.log.info('console calendar import', {
      tenant: viewer.tenant.code,
      year: result.notice.year,
      replaced,
    });
    kit.setFlash(c, {
      kind: 'success',
      text: `已导入 ${result.notice.year} 年节假日安排${replaced ? '（替换此前导入的同年安排）' : ''}，此后计算的期限按此安排。`,
    });
    return c.redirect('/console/calendar', 303);
  });

  return app;
}
