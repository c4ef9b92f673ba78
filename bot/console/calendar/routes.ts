// `/console/calendar` (节假日安排): the office pastes the State Council's holiday notice, checks what was
// read (a table per festival, or every bad line named) and confirms; the year is then stored as the
// tenant's calendar (db/queries/calendar.ts). The confirmation reads the text again: nothing from the
// preview is trusted.
import { saveHolidayNotice } from '../../../db/queries/calendar.ts';
import { parseHolidayNotice } from '../../../handlers/holiday-notice.ts';
import { accountLabel } from '../../../handlers/party-labels.ts';
import type { Flash } from '../auth.ts';
import { textField, trimmedField, validForm } from '../form.ts';
import { type ConsoleContext, type ConsoleKit, consoleApp } from '../kit.ts';
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

  const refuseNotice = async (c: ConsoleContext, values: CalendarValues, problems: string[]) =>
    kit.render(c, calendarPage(c.var.viewer, values, { problems }, clock()), frame(), 400);
  const noticeForm = validForm(
    { text: textField, year: trimmedField(10), action: textField },
    {
      checks: [
        (values) => (values.text.trim() ? undefined : '请粘贴通知全文。'),
        (values) =>
          values.text.length > MAX_NOTICE_CHARS
            ? `通知全文最多 ${MAX_NOTICE_CHARS} 字，本次 ${values.text.length} 字：请只粘贴通知本身。`
            : undefined,
        (values) =>
          values.year && !/^20\d\d$/.test(values.year)
            ? `年份应写成 2027 这样的四位数，而不是“${values.year}”。`
            : undefined,
      ],
      refuse: (c, { text, year }, message) => refuseNotice(c, { text, year }, [message]),
    },
  );

  app.post('/console/calendar', kit.limit, kit.post, noticeForm, async (c) => {
    const { viewer } = c.var;
    const form = c.req.valid('form');
    const values: CalendarValues = { text: form.text, year: form.year };
    const refuse = (problems: string[]) => refuseNotice(c, values, problems);
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
