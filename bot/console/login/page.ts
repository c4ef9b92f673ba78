// `/login`: the admin's login form.
import { html } from 'hono/html';
import { errorFlash, type Html } from '../layout.ts';

export interface LoginState {
  csrf: string;
  next?: string;
  tenantCode?: string;
  username?: string;
  error?: string;
  demo: boolean;
}

export function loginPage(state: LoginState): Html {
  return html`<h1>管理员登录</h1>
<div class="panel">
  ${errorFlash(state.error)}
  ${state.demo ? html`<p class="muted">演示模式下无需登录即可使用示例单位；登录后只显示本单位的数据。</p>` : ''}
  <form method="post" action="/login" class="stack">
    <input type="hidden" name="_csrf" value="${state.csrf}">
    ${state.next ? html`<input type="hidden" name="next" value="${state.next}">` : ''}
    <label>单位代码<input type="text" name="tenant" value="${state.tenantCode ?? ''}" required autocomplete="organization" placeholder="如 jishan-school"></label>
    <label>用户名<input type="text" name="username" value="${state.username ?? ''}" required autocomplete="username"></label>
    <label>密码<input type="password" name="password" required autocomplete="current-password"></label>
    <div><button class="btn primary" type="submit">登录</button></div>
  </form>
  <p class="muted">账号由运维人员用 <code>npm run admin:add -- --tenant &lt;单位代码&gt; --user &lt;用户名&gt;</code> 创建。</p>
</div>`;
}
