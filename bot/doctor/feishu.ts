// The doctor's Feishu checks: the tenant_access_token, the bot, the scopes the product needs
// (查询租户授权状态, GET /open-apis/application/v6/scopes: https://open.feishu.cn/document/application-v6/scope/list,
// needs no scope itself) and how events arrive (FEISHU_MODE).
import type * as lark from '@larksuiteoapi/node-sdk';
import type { ChannelHealth } from '../channels/channel.ts';
import { loadLark } from '../channels/feishu/sdk.ts';
import { createFeishuClient } from '../channels/feishu/sender.ts';
import type { FeishuConfig } from '../env.ts';
import { type CheckRow, reason, row } from './rows.ts';

/** What the README asks for (Feishu / Lark, step 2): without them the bot neither hears nor answers. */
export const FEISHU_SCOPES = [
  'im:message',
  'im:message.group_at_msg:readonly',
  'im:message.p2p_msg:readonly',
  'im:message:send_as_bot',
];
/** 获取用户 userID: people listed by `user_id` in the organization file are not recognized without it. */
export const FEISHU_USER_ID_SCOPE = 'contact:user.employee_id:readonly';

const CREDENTIALS = '飞书 · 凭据';
const SCOPES = '飞书 · 权限';
const EVENTS = '飞书 · 事件接收';

/** Feishu's business code and message of a refused call (the SDK's error carries the answer), else the error. */
function refusal(error: unknown): string {
  const data = (error as { response?: { data?: { code?: number; msg?: string } } })?.response?.data;
  if (data && typeof data === 'object') return `${data.code ?? ''} ${data.msg ?? ''}`.trim();
  return reason(error);
}

export interface FeishuCheckOptions {
  config: FeishuConfig;
  timeoutMs: number;
  /** The organization lists people by Feishu `user_id`: the userID scope is needed. */
  usesUserIds: boolean;
  /** The running service's long connection, when the check runs inside it. */
  connection?: ChannelHealth;
}

export async function feishuChecks(options: FeishuCheckOptions): Promise<CheckRow[]> {
  const { config, timeoutMs } = options;
  const sdk = await loadLark();
  const client = await createFeishuClient(config, { timeoutMs }).client();
  const rows: CheckRow[] = [];
  let token: string | undefined;
  try {
    const answer = await client.auth.v3.tenantAccessToken.internal({
      data: { app_id: config.appId, app_secret: config.appSecret },
    });
    const body = answer as { code?: number; msg?: string; tenant_access_token?: string };
    if (body.code === 0 && body.tenant_access_token) token = body.tenant_access_token;
    else {
      rows.push(
        row(
          CREDENTIALS,
          'error',
          `获取 tenant_access_token 失败（${body.code} ${body.msg ?? ''}）：请核对 FEISHU_APP_ID 与 FEISHU_APP_SECRET（开发者后台 → 凭证与基础信息）。`,
        ),
      );
    }
  } catch (error) {
    const why = `无法从 ${config.domain} 获取 tenant_access_token（${refusal(error)}）`;
    rows.push(row(CREDENTIALS, 'error', `${why}：请检查网络与 FEISHU_DOMAIN。`));
  }
  if (!token) return [...rows, ...(await eventRows(options))];

  let botName: string | undefined;
  try {
    const info = (await client.request(
      { method: 'GET', url: '/open-apis/bot/v3/info' },
      sdk.withTenantToken(token),
    )) as { bot?: { app_name?: string } };
    botName = info.bot?.app_name;
    rows.push(row(CREDENTIALS, 'ok', `已获取 tenant_access_token；机器人“${botName ?? '（未命名）'}”可用。`));
  } catch (error) {
    const why = `已获取 tenant_access_token，但读取机器人信息失败（${refusal(error)}）`;
    rows.push(row(CREDENTIALS, 'error', `${why}：请在开发者后台 → 应用能力 启用“机器人”，并发布版本。`));
  }

  rows.push(await scopeRow(sdk, client, token, options.usesUserIds));
  return [...rows, ...(await eventRows(options))];
}

async function scopeRow(
  sdk: typeof lark,
  client: lark.Client,
  token: string,
  usesUserIds: boolean,
): Promise<CheckRow> {
  let scopes: { scope_name?: string; grant_status?: number }[];
  try {
    const answer = (await client.request(
      { method: 'GET', url: '/open-apis/application/v6/scopes' },
      sdk.withTenantToken(token),
    )) as { data?: { scopes?: { scope_name?: string; grant_status?: number }[] } };
    scopes = answer.data?.scopes ?? [];
  } catch (error) {
    return row(
      SCOPES,
      'warning',
      `无法查询应用权限（${refusal(error)}）：请在开发者后台 → 权限管理 核对 ${FEISHU_SCOPES.join('、')}。`,
    );
  }
  const status = new Map(scopes.map((scope) => [scope.scope_name, scope.grant_status]));
  const needed = usesUserIds ? [...FEISHU_SCOPES, FEISHU_USER_ID_SCOPE] : FEISHU_SCOPES;
  const absent = needed.filter((scope) => !status.has(scope));
  const ungranted = needed.filter((scope) => status.has(scope) && status.get(scope) !== 1);
  if (absent.length === 0 && ungranted.length === 0) {
    return row(SCOPES, 'ok', `所需权限均已开通：${needed.join('、')}。`);
  }
  const parts: string[] = [];
  if (absent.length > 0) {
    parts.push(`未申请：${absent.join('、')}（开发者后台 → 权限管理 → 开通权限，然后创建并发布新版本）`);
  }
  if (ungranted.length > 0) {
    parts.push(`已申请但未获授权：${ungranted.join('、')}（请企业管理员在管理后台审核通过该版本）`);
  }
  const userIdNote = [...absent, ...ungranted].includes(FEISHU_USER_ID_SCOPE)
    ? `组织文件中有按 user_id 登记的人员，缺少“获取用户 userID”权限时他们会被当作组织外人员。`
    : '';
  return row(SCOPES, 'error', `${parts.join('；')}。${userIdNote}`);
}

async function eventRows(options: FeishuCheckOptions): Promise<CheckRow[]> {
  const { config } = options;
  if (config.mode === 'webhook') {
    const where = '请求地址 https://<本服务域名>/webhooks/feishu（事件配置与回调配置各填一次）';
    if (!config.encryptKey) {
      return [
        row(
          EVENTS,
          'warning',
          `webhook 模式，只设置了 FEISHU_VERIFICATION_TOKEN、没有 FEISHU_ENCRYPT_KEY：回调不加密、不验签名。建议在 事件与回调 → 加密策略 设置 Encrypt Key 并填入 FEISHU_ENCRYPT_KEY；${where}。`,
        ),
      ];
    }
    return [row(EVENTS, 'ok', `webhook 模式，已设置 Encrypt Key；${where}。`)];
  }
  const console = '开发者后台 → 事件与回调 → 订阅方式 须选“使用长连接接收事件”和“使用长连接接收回调”';
  if (options.connection) {
    const state = options.connection;
    return [
      row(
        EVENTS,
        state.ok ? 'ok' : 'error',
        state.ok
          ? `长连接：${String(state.state)}；${console}。`
          : `长连接：${String(state.state)}${lastError(state)}；请检查凭据与到 ${config.domain} 的出站网络，${console}。`,
      ),
    ];
  }
  // The handshake only (the SDK's WSClient starts with it): its answer's URL carries a ticket, never shown.
  try {
    const http = (await loadLark()).defaultHttpInstance as unknown as lark.HttpInstance;
    const answer = (await http.request({
      method: 'post',
      url: `${config.domain}/callback/ws/endpoint`,
      data: { AppID: config.appId, AppSecret: config.appSecret },
      headers: { locale: 'zh' },
      timeout: options.timeoutMs,
    })) as { code?: number; msg?: string };
    if (answer.code === 0) return [row(EVENTS, 'ok', `长连接（websocket 模式）握手成功；${console}。`)];
    return [
      row(
        EVENTS,
        'error',
        `长连接握手被拒绝（${answer.code} ${answer.msg ?? ''}）：请核对凭据；${console}。`,
      ),
    ];
  } catch (error) {
    return [
      row(
        EVENTS,
        'error',
        `长连接握手失败（${reason(error)}）：请检查到 ${config.domain} 的出站网络（443 端口）。`,
      ),
    ];
  }
}

export function lastError(state: ChannelHealth): string {
  const message = state.lastError?.message ?? state.message;
  return message ? `（${message}）` : '';
}
