// The frame of every console page: CJK fonts, the demo banner, the navigation and the flash message.
import { html } from 'hono/html';
import { STYLESHEET_PATH } from './style.ts';

export type Html = ReturnType<typeof html>;

export const DEMO_BANNER = '演示模式：无需登录，任何人都可操作';

/** Where a bureau viewing one of its schools goes back to (its comparison of the schools). */
export const BACK_TO_BUREAU = { href: '/console/bureau', label: '返回教育局' };

/** The banner while a bureau views one of its schools. */
export const viewingBanner = (school: string) => `正在查看：${school}`;

/** A form's error above it, or nothing. */
export const errorFlash = (error: string | undefined): Html | '' =>
  error ? html`<div class="flash error" role="alert">${error}</div>` : '';

export interface Frame {
  title: string;
  /** Demo mode: the banner on every page. */
  demo: boolean;
  /** A warning on every page (why demo mode was refused). */
  notice?: string;
  /** The page's tenant, when there is one. */
  tenantName?: string;
  /** The kind of the viewer's own tenant (a bureau has its schools' pages in the navigation). */
  ownKind?: string;
  /** A bureau is viewing this school (read only): the banner and the way back. */
  viewing?: string;
  /** The logged-in admin, when there is one. */
  user?: string;
  /** The session's CSRF token, for the logout form. */
  csrf?: string;
  active?:
    | 'chat'
    | 'dashboard'
    | 'reports'
    | 'accidents'
    | 'tasks'
    | 'hazards'
    | 'records'
    | 'submissions'
    | 'supervision'
    | 'rounds'
    | 'org'
    | 'rosters'
    | 'letters'
    | 'calendar'
    | 'ledger'
    | 'outbox'
    | 'status'
    | 'login'
    | 'bureau'
    | 'meeting';
  flash?: { kind: string; text: string };
  /** How many failed messages the tenant has (shown beside the link). */
  failed?: number;
  /** The CSP nonce of the page's script and of its one style element (the fonts). */
  nonce: string;
  /** The page's script (a fragment of this source, never of input). */
  script?: Html;
  /** The page whose own rules of the stylesheet apply (style.ts). */
  page?: 'dashboard';
  /** Rules the page carries itself, in the head's style element (a fragment of this source, never of input). */
  style?: Html;
}

export function layout(frame: Frame, body: Html): Html {
  const link = (href: string, key: Frame['active'], label: string, extra?: Html | string) =>
    html`<a href="${href}" class="${frame.active === key ? 'on' : ''}">${label}${extra ?? ''}</a>`;
  const showNav = frame.tenantName !== undefined;
  return html`<!doctype html>
<html lang="zh-CN"${frame.page ? html` data-page="${frame.page}"` : ''}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${frame.title} · 一岗双责安全助手</title>
<style nonce="${frame.nonce}">${frame.viewing ? html`form[method="post"]:not(.keep) { display: none !important; } ` : ''}html { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, sans-serif; }</style>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
${
  frame.style
    ? html`<style nonce="${frame.nonce}">${frame.style}</style>
`
    : ''
}
</head>
<body>
${frame.demo ? html`<div class="banner" role="status">${DEMO_BANNER}</div>` : ''}
${frame.notice ? html`<div class="banner" role="alert">${frame.notice}</div>` : ''}
${frame.viewing ? html`<div class="banner viewing" role="status">${viewingBanner(frame.viewing)}（只读） <a href="${BACK_TO_BUREAU.href}">${BACK_TO_BUREAU.label}</a></div>` : ''}
<div class="top">
  <a class="brand" href="/">一岗双责安全助手</a>
  ${
    showNav
      ? html`<nav>
    ${frame.demo ? link('/', 'chat', '对话模拟') : ''}
    ${frame.ownKind === 'bureau' && !frame.viewing ? html`${link('/console/bureau', 'bureau', '学校对比')}${link('/console/bureau/meeting', 'meeting', '调度会材料')}${link('/console/supervision', 'supervision', '督办学校')}` : ''}
    ${link('/console/dashboard', 'dashboard', '工作看板')}
    ${link('/console/reports/quarterly', 'reports', '报表')}
    ${link('/console/accidents', 'accidents', '事故登记')}
    ${link('/console/tasks', 'tasks', '任务督办')}
    ${link('/console/hazards', 'hazards', '隐患督办')}
    ${link('/console/records', 'records', '工作记录')}
    ${link('/console/submissions', 'submissions', '上报材料')}
    ${link('/console/rounds', 'rounds', '检查登记')}
    ${link('/console/rosters', 'rosters', '值班表')}
    ${link('/console/letters', 'letters', '责任书')}
    ${link('/console/calendar', 'calendar', '节假日')}
    ${link('/console/ledger', 'ledger', '隐患台账导出')}
    ${link('/console/org', 'org', '组织信息')}
    ${link('/console/outbox', 'outbox', '发送失败', frame.failed ? html` <span class="badge">${frame.failed}</span>` : '')}
    ${frame.user ? link('/console/status', 'status', '运行状态') : ''}
  </nav>
  <div class="who">
    <span>${frame.tenantName}${frame.user ? html` · ${frame.user}` : ''}</span>
    ${
      frame.user && frame.csrf
        ? html`<form method="post" action="/logout" class="inline keep"><input type="hidden" name="_csrf" value="${frame.csrf}"><button class="btn" type="submit">退出登录</button></form>`
        : frame.demo
          ? html`<a href="/login">管理员登录</a>`
          : ''
    }
  </div>`
      : html`<nav></nav>`
  }
</div>
<main>
${frame.flash ? html`<div class="flash ${['success', 'info', 'warning', 'error'].includes(frame.flash.kind) ? frame.flash.kind : 'info'}" role="alert">${frame.flash.text}</div>` : ''}
${body}
</main>
${frame.script ? html`<script nonce="${frame.nonce}">${frame.script}</script>` : ''}
</body>
</html>`;
}

/** A page that says what went wrong, with a way back. */
export function errorPage(
  title: string,
  message: string,
  link: { href: string; label: string } = { href: '/', label: '返回首页' },
): Html {
  return html`<h1>${title}</h1><div class="panel"><p>${message}</p><p><a href="${link.href}">${link.label}</a></p></div>`;
}
