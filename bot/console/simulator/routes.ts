// The chat simulator: acting as any member is a demo feature. Outside demo mode the console acts as the
// logged-in office account only (issue 14), so `/` is the dashboard and the simulator's posts 404.
// Every message goes through the same core as Feishu, WeCom and Wechaty (the console is the fourth channel).
import { createHash, randomUUID } from 'node:crypto';
import { consoleChatId, conversationRows } from '../../../db/queries/outbox.ts';
import { memberById, membersOf } from '../../../db/queries/people.ts';
import { FORM_FIELD_PREFIX } from '../../channels/console/render.ts';
import type { ActionEvent, ActionResult, MessageEvent } from '../../core/types.ts';
import type { Flash } from '../auth.ts';
import { textField, validForm } from '../form.ts';
import { actor, type ConsoleContext, type ConsoleKit, type ConsoleMiddleware, consoleApp } from '../kit.ts';
import { buildConversation, MAX_MESSAGE_LENGTH, userMessageId } from './conversation.ts';
import { noMembersPage, SIMULATOR_SCRIPT, simulatorPage } from './page.ts';

/** A button's arguments: a flat object of strings, as the card model has them. */
function parseArgs(raw: string): Record<string, string> | undefined {
  if (raw.length > 4000) return undefined;
  try {
    const value: unknown = raw === '' ? {} : JSON.parse(raw);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const entries = Object.entries(value);
    if (entries.length > 30 || entries.some(([, v]) => typeof v !== 'string')) return undefined;
    return Object.fromEntries(entries) as Record<string, string>;
  } catch {
    return undefined;
  }
}

/** The simulator's refusals: an empty message is a warning, the rest errors. */
const NO_MESSAGE = '请输入消息。';
const BAD_BUTTON = '按钮数据无效，请刷新页面后重试。';

/** What a message form says: its quick reply when one was pressed, else what was typed. */
const saidIn = (values: { quick: string; text: string }) => (values.quick || values.text).trim();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The event key of a simulator post: the page's key with what the form says, so one form sent twice is one
 * event (the core's dedupe) while another button on the same page is another. A post without a valid page
 * key (a page from before this rule) is an event of its own.
 */
function formEventKey(tenantId: number, personId: number, page: unknown, what: unknown[]): string {
  if (typeof page !== 'string' || !UUID.test(page)) return randomUUID();
  const key = createHash('sha256').update(JSON.stringify([tenantId, personId, page, ...what]));
  return `page-${key.digest('hex').slice(0, 40)}`;
}

export function simulatorRoutes(kit: ConsoleKit) {
  const { db, core, log, clock } = kit;
  const app = consoleApp();

  const noSuchMember = (c: ConsoleContext) =>
    kit.notFound(c, '找不到此成员', '本单位没有这个成员。', { active: 'chat' });

  /** Outside demo mode the simulator's posts are not there. */
  const demoOnly: ConsoleMiddleware = async (c, next) => {
    if (!kit.demo) return c.json({ error: 'not found' }, 404);
    return next();
  };

  app.get('/', kit.viewer, async (c) => {
    if (!kit.demo) return c.redirect('/console/dashboard', 302);
    const { viewer } = c.var;
    const flash = kit.takeFlash(c);
    const members = await membersOf(db, viewer.tenant.id);
    if (members.length === 0) {
      return kit.render(c, noMembersPage(viewer.tenant.name), { title: '对话模拟', active: 'chat', flash });
    }
    const asked = c.req.query('person');
    const selected =
      asked === undefined ? members[0]! : members.find((member) => String(member.id) === asked);
    if (!selected) return noSuchMember(c);
    const items = buildConversation(await conversationRows(db, viewer.tenant.id, selected.id));
    return kit.render(
      c,
      simulatorPage({
        members,
        selected,
        items,
        csrf: viewer.session.csrf,
        timeZone: viewer.tenant.timezone,
        pageKey: randomUUID(),
      }),
      { title: '对话模拟', active: 'chat', flash, script: SIMULATOR_SCRIPT },
    );
  });

  /** The member a simulator post acts as: one of the viewer's tenant, or undefined. */
  const actingMember = (c: ConsoleContext, person: string) =>
    memberById(db, c.var.viewer.tenant.id, Number(person));

  /** A refused simulator form: the member's page again with the message (a member not found: 404 first). */
  const refuse = async (c: ConsoleContext, values: { person: string }, message: string) => {
    const person = await actingMember(c, values.person);
    if (!person) return noSuchMember(c);
    kit.setFlash(c, { kind: message === NO_MESSAGE ? 'warning' : 'error', text: message });
    return c.redirect(`/?person=${person.id}`, 303);
  };

  const sayForm = validForm(
    { person: textField, quick: textField, text: textField, page: textField },
    {
      checks: [
        (values) => (saidIn(values) ? undefined : NO_MESSAGE),
        (values) =>
          saidIn(values).length > MAX_MESSAGE_LENGTH
            ? `消息太长（最多 ${MAX_MESSAGE_LENGTH} 字）。`
            : undefined,
      ],
      refuse,
    },
  );

  const pressForm = validForm(
    {
      person: textField,
      action: textField,
      args: textField.transform(parseArgs),
      page: textField,
    },
    {
      checks: [(values) => (/^[\w.:-]{1,100}$/.test(values.action) && values.args ? undefined : BAD_BUTTON)],
      refuse,
    },
  );

  app.post('/console/say', kit.limit, demoOnly, kit.post, sayForm, async (c) => {
    const { viewer } = c.var;
    const values = c.req.valid('form');
    const person = await actingMember(c, values.person);
    if (!person) return noSuchMember(c);
    const back = `/?person=${person.id}`;
    const said = saidIn(values);
    const uuid = formEventKey(viewer.tenant.id, person.id, values.page, ['say', said]);
    const event: MessageEvent = {
      type: 'message',
      channel: 'console',
      eventKey: uuid,
      sender: { ids: [{ kind: 'person', value: String(person.id) }], name: person.name },
      chat: { id: consoleChatId(person.id), type: 'p2p' },
      at: clock(),
      platformTenant: String(viewer.tenant.id),
      messageId: userMessageId(uuid, said),
      text: said,
      mentionedBot: false,
      mentions: [],
      attachments: [],
    };
    // The audit trail names the member; the log says who acted as them.
    log.info('console message', { tenant: viewer.tenant.code, admin: actor(viewer), person: person.id });
    const result = await core.handle(event);
    await kit.settle();
    if (result.kind === 'ignored') kit.setFlash(c, { kind: 'info', text: `消息未处理：${result.reason}` });
    if (result.kind === 'duplicate')
      kit.setFlash(c, { kind: 'info', text: '这条消息已经发送过，未重复处理。' });
    return c.redirect(back, 303);
  });

  app.post('/console/press', kit.limit, demoOnly, kit.post, pressForm, async (c) => {
    const { viewer, form } = c.var;
    const { person: personField, action, args = {}, page } = c.req.valid('form');
    const person = await actingMember(c, personField);
    if (!person) return noSuchMember(c);
    const back = `/?person=${person.id}`;
    // The fields of the card's own form, named by the card (FORM_FIELD_PREFIX), as the press sent them.
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(form)) {
      if (name.startsWith(FORM_FIELD_PREFIX) && typeof value === 'string') {
        values[name.slice(FORM_FIELD_PREFIX.length)] = value.slice(0, 5000);
      }
    }
    const event: ActionEvent = {
      type: 'action',
      channel: 'console',
      eventKey: formEventKey(viewer.tenant.id, person.id, page, ['press', action, args, values]),
      sender: { ids: [{ kind: 'person', value: String(person.id) }], name: person.name },
      chat: { id: consoleChatId(person.id), type: 'p2p' },
      at: clock(),
      platformTenant: String(viewer.tenant.id),
      action,
      args,
      ...(Object.keys(values).length > 0 ? { form: values } : {}),
      // No messageId: every copy of a changed card, this one included, is then refreshed in the outbox,
      // which is where the console reads its conversation.
    };
    log.info('console action', {
      tenant: viewer.tenant.code,
      admin: actor(viewer),
      person: person.id,
      action,
    });
    const result = await core.handle(event);
    await kit.settle();
    const answer: ActionResult | undefined = result.kind === 'done' ? result.action : undefined;
    const flash: Flash = answer
      ? { kind: answer.toast.kind, text: answer.toast.text }
      : {
          kind: 'info',
          text:
            result.kind === 'ignored'
              ? `未处理：${result.reason}`
              : result.kind === 'duplicate'
                ? '此操作已经提交过，未重复执行。'
                : '已处理。',
        };
    kit.setFlash(c, flash);
    return c.redirect(back, 303);
  });

  return app;
}
