// `/`: the chat simulator. Pick a member, type as them, press their cards' buttons: every message goes
// through the same core as Feishu, WeCom and Wechaty (the console is the fourth channel).
import { html } from 'hono/html';
import type { Member } from '../../../db/queries/people.ts';
import type { Tenant } from '../../../db/queries/tenants.ts';
import { formatDateTime } from '../../../handlers/time.ts';
import { bodyHtml, textHtml } from '../../channels/console/render.ts';
import { memberLabel } from '../fields.ts';
import type { Html } from '../layout.ts';
import type { ConversationItem } from './conversation.ts';

export interface SimulatorState {
  /** The organizations one may act in (DEMO_LEVEL=bureau: the bureau and its schools); absent: only one. */
  tenants?: Tenant[];
  /** The organization acted in. */
  tenant: Tenant;
  members: Member[];
  selected: Member;
  items: ConversationItem[];
  csrf: string;
  timeZone: string;
  /**
   * Made afresh for each page: every form on it carries it, so the same form sent twice (a double click, a
   * browser's resend) is the same event and the core acts once (simulator/routes.ts formEventKey).
   */
  pageKey: string;
}

const QUICK = ['帮助', '隐患台账', '报隐患 教学楼三楼东侧灭火器过期，一般'];

/** Submits the member picker on change and keeps the newest message in view. */
export const SIMULATOR_SCRIPT = html`
(function () {
  var list = document.getElementById('messages');
  if (list) list.scrollTop = list.scrollHeight;
  var pick = document.getElementById('person');
  if (pick) pick.addEventListener('change', function () { pick.form.submit(); });
  var org = document.getElementById('tenant');
  if (org) org.addEventListener('change', function () { org.form.submit(); });
  var text = document.getElementById('text');
  if (text) text.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); text.form.requestSubmit(); }
  });
})();`;

function item(entry: ConversationItem, state: SimulatorState): Html {
  const at = formatDateTime(entry.at, state.timeZone);
  if (entry.kind === 'user') {
    return html`<div class="msg user"><span class="meta">${state.selected.name} · ${at}</span><div class="bubble">${textHtml(entry.text)}</div></div>`;
  }
  const target = {
    url: '/console/press',
    hidden: {
      _csrf: state.csrf,
      tenant: String(state.tenant.id),
      person: String(state.selected.id),
      page: state.pageKey,
    },
  };
  const body = entry.body as { kind?: string } | undefined;
  const inner = bodyHtml(entry.body, target, `m${entry.rowId}`);
  return html`<div class="msg bot" data-row="${entry.rowId}"><span class="meta">安全助手 · ${at}${entry.updated ? ' · 已更新' : ''}</span>${
    body?.kind === 'card' ? inner : html`<div class="bubble">${inner}</div>`
  }</div>`;
}

export function simulatorPage(state: SimulatorState): Html {
  const { members, selected } = state;
  return html`<h1>对话模拟</h1>
<div class="chat">
  <aside class="members panel">
    ${
      state.tenants
        ? html`<form method="get" action="/">
      <label for="tenant"><strong>单位</strong></label>
      <select id="tenant" name="tenant">
        ${state.tenants.map(
          (tenant) =>
            html`<option value="${tenant.id}"${tenant.id === state.tenant.id ? html` selected` : ''}>${tenant.name}</option>`,
        )}
      </select>
      <noscript><button class="btn" type="submit">切换单位</button></noscript>
    </form>`
        : ''
    }
    <form method="get" action="/">
      ${state.tenants ? html`<input type="hidden" name="tenant" value="${state.tenant.id}">` : ''}
      <label for="person"><strong>以此成员身份发言</strong></label>
      <select id="person" name="person">
        ${members.map(
          (member) =>
            html`<option value="${member.id}"${member.id === selected.id ? html` selected` : ''}>${memberLabel(member)}</option>`,
        )}
      </select>
      <noscript><button class="btn" type="submit">切换</button></noscript>
    </form>
    <p class="muted">当前：<strong>${selected.name}</strong>（${state.tenant.name}）${selected.posts.length > 0 ? html`<br>${selected.posts.join('、')}` : ''}</p>
    <p class="muted">消息经由与飞书、企业微信相同的处理流程；发给此人的卡片和回复显示在右侧，卡片上的按钮和表单可直接操作。</p>
  </aside>
  <section class="conv" aria-label="与 ${selected.name} 的对话">
    <div class="messages" id="messages">
      ${
        state.items.length === 0
          ? html`<p class="empty">还没有消息。试试发送“帮助”或“报隐患 …”。</p>`
          : state.items.map((entry) => item(entry, state))
      }
    </div>
    <form method="post" action="/console/say" class="compose-form">
      <input type="hidden" name="_csrf" value="${state.csrf}">
      <input type="hidden" name="tenant" value="${state.tenant.id}">
      <input type="hidden" name="person" value="${selected.id}">
      <input type="hidden" name="page" value="${state.pageKey}">
      <div class="compose">
        <textarea id="text" name="text" rows="2" maxlength="2000" placeholder="输入消息，如：报隐患 教学楼三楼东侧灭火器过期，一般（Ctrl+Enter 发送）"></textarea>
        <button class="btn primary" type="submit">发送</button>
      </div>
      <div class="quick">
        <span class="muted">快捷：</span>
        ${QUICK.map((text) => html`<button class="btn" type="submit" name="quick" value="${text}" formnovalidate>${text}</button>`)}
      </div>
    </form>
  </section>
</div>`;
}

export function noMembersPage(tenantName: string): Html {
  return html`<h1>对话模拟</h1>
<div class="panel"><p>${tenantName} 还没有成员。请先用 <code>npm run org:import -- &lt;组织文件.yaml&gt;</code> 导入组织。</p></div>`;
}
