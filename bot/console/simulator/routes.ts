// The chat simulator: acting as any member is a demo feature. Outside demo mode the console acts as the
// logged-in office account only (issue 14), so `/` is the dashboard and the simulator's posts 404.
// Every message goes through the same core as Feishu, WeCom and Wechaty (the console is the fourth channel).
import { createHash, randomUUID } from 'node:crypto';
import { consoleChatId, conversationRows } from '../../../db/queries/outbox.ts';
import { memberById, membersOf } from '../../../db/queries/people.ts';
import { demoTenants, type Tenant } from '../../../db/queries/tenants.ts';
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

  /**
   * The organizations the simulator may act in: in the open demo every demo-made one (DEMO_LEVEL=bureau:
   * the bureau and its schools); a logged-in admin only their own.
   */
  async function actingTenants(c: ConsoleContext): Promise<Tenant[]> {
    const { viewer } = c.var;
    if (viewer.account || !viewer.tenant.demo) return [viewer.tenant];
    const all = await demoTenants(db);
    return all.some((tenant) => tenant.id === viewer.tenant.id) ? all : [viewer.tenant];
  }

  /** The organization a simulator page or post acts in: the one asked for among those allowed. */
  async function actingTenant(c: ConsoleContext, asked: string | undefined): Promise<Tenant | undefined> {
    if (!asked) return c.var.viewer.tenant;
    return (await actingTenants(c)).find((tenant) => String(tenant.id) === asked);
  }

  const noSuchTenant = (c: ConsoleContext) =>
    kit.notFound(c, '找不到此单位', '演示中没有这个单位。', { active: 'chat' });

  app.get('/', kit.viewer, async (c) => {
    if (!kit.demo) return c.redirect('/console/dashboard', 302);
    const { viewer } = c.var;
    const flash = kit.takeFlash(c);
    const tenant = await actingTenant(c, c.req.query('tenant'));
    if (!tenant) return noSuchTenant(c);
    const tenants = await actingTenants(c);
    const members = await membersOf(db, tenant.id);
    if (members.length === 0) {
      return kit.render(c, noMembersPage(tenant.name), { title: '对话模拟', active: 'chat', flash });
    }
    const asked = c.req.query('person');
    const selected =
      asked === undefined ? members[0]! : members.find((member) => String(member.id) === asked);
    if (!selected) return noSuchMember(c);
    const items = buildConversation(await conversationRows(db, tenant.id, selected.id));
    return kit.render(
      c,
      simulatorPage({
        tenants: tenants.length > 1 ? tenants : undefined,
        tenant,
        members,
        selected,
        items,
        csrf: viewer.session.csrf,
        timeZone: tenant.timezone,
        pageKey: randomUUID(),
      }),
      { title: '对话模拟', active: 'chat', flash, script: SIMULATOR_SCRIPT },
    );
  });

  /** The organization and member a simulator post acts as: one the viewer may act in, or undefined. */
  async function acting(c: ConsoleContext, values: { tenant: string; person: string }) {
    const tenant = await actingTenant(c, values.tenant || undefined);
    const person = tenant && (await memberById(db, tenant.id, Number(values.person)));
    return tenant && person ? { tenant, person } : undefined;
  }
  /** Back to the conversation, in its organization when it is not the viewer's own. */
  const backTo = (viewer: { tenant: Tenant }, tenant: Tenant, personId: number) =>
    `/?${tenant.id === viewer.tenant.id ? '' : `tenant=${tenant.id}&`}person=${personId}`;

  /** A refused simulator form: the member's page again with the message (a member not found: 404 first). */
  const refuse = async (c: ConsoleContext, values: { tenant: string; person: string }, message: string) => {
    const who = await acting(c, values);
    if (!who) return noSuchMember(c);
    kit.setFlash(c, { kind: message === NO_MESSAGE ? 'warning' : 'error', text: message });
    return c.redirect(backTo(c.var.viewer, who.tenant, who.person.id), 303);
  };

  const sayForm = validForm(
    { tenant: textField, person: textField, quick: textField, text: textField, page: textField },
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
      tenant: textField,
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
    const who = await acting(c, values);
    if (!who) return noSuchMember(c);
    const { tenant, person } = who;
    const back = backTo(viewer, tenant, person.id);
    const said = saidIn(values);
    const uuid = formEventKey(tenant.id, person.id, values.page, ['say', said]);
    const event: MessageEvent = {
      type: 'message',
      channel: 'console',
      eventKey: uuid,
      sender: { ids: [{ kind: 'person', value: String(person.id) }], name: person.name },
      chat: { id: consoleChatId(person.id), type: 'p2p' },
      at: clock(),
      platformTenant: String(tenant.id),
      messageId: userMessageId(uuid, said),
      text: said,
      mentionedBot: false,
      mentions: [],
      attachments: [],
    };
    // The audit trail names the member; the log says who acted as them.
    log.info('console message', { tenant: tenant.code, admin: actor(viewer), person: person.id });
    const result = await core.handle(event);
    await kit.settle();
    if (result.kind === 'ignored') kit.setFlash(c, { kind: 'info', text: `消息未处理：${result.reason}` });
    if (result.kind === 'duplicate')
      kit.setFlash(c, { kind: 'info', text: '这条消息已经发送过，未重复处理。' });
    return c.redirect(back, 303);
  });

  app.post('/console/press', kit.limit, demoOnly, kit.post, pressForm, async (c) => {
    const { viewer, form } = c.var;
    const valid = c.req.valid('form');
    const { action, args = {}, page } = valid;
    const who = await acting(c, valid);
    if (!who) return noSuchMember(c);
    const { tenant, person } = who;
    const back = backTo(viewer, tenant, person.id);
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
      eventKey: formEventKey(tenant.id, person.id, page, ['press', action, args, values]),
      sender: { ids: [{ kind: 'person', value: String(person.id) }], name: person.name },
      chat: { id: consoleChatId(person.id), type: 'p2p' },
      at: clock(),
      platformTenant: String(tenant.id),
      action,
      args,
      ...(Object.keys(values).length > 0 ? { form: values } : {}),
      // No messageId: every copy of a changed card, this one included, is then refreshed in the outbox,
      // which is where the console reads its conversation.
    };
    log.info('console action', {
      tenant: tenant.code,
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
