// The doctor's WeCom checks. The self-built app: gettoken, then 获取指定的应用详情 (agent/get,
// https://developer.work.weixin.qq.com/document/path/90227) for its 可见范围 — the first call that meets
// the 企业可信IP rule (60020, 全局错误码 https://developer.work.weixin.qq.com/document/path/90313). The
// 智能机器人: can it subscribe on its long connection within the time limit.
import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/client.ts';
import { leaseHolder, releaseLease, takeLease } from '../../db/queries/leases.ts';
import type { ChannelHealth } from '../channels/channel.ts';
import { createWecomApi, WECOM_UNTRUSTED_IP, WecomApiError } from '../channels/wecom/api.ts';
import type { WecomBotConfig, WecomConfig } from '../env.ts';
import { lastError } from './feishu.ts';
import { type CheckRow, reason, row, seconds } from './rows.ts';

const CREDENTIALS = '企业微信 · 凭据';
const APP = '企业微信 · 可信IP与可见范围';
const CALLBACK = '企业微信 · 回调';
const WORKERS = '企业微信 · 部署方式';

/** The message of a WeCom refusal without the "WeCom <call>: " prefix. */
const refusal = (error: unknown) => reason(error).replace(/^WeCom [\w/]+: /, '');

export async function wecomChecks(
  config: WecomConfig,
  timeoutMs: number,
  workers: boolean,
): Promise<CheckRow[]> {
  const api = createWecomApi({ config, timeoutMs });
  const rows: CheckRow[] = [];
  if (workers) {
    rows.push(
      row(
        WORKERS,
        'error',
        'Cloudflare Workers 没有固定的出口 IP，无法加入企业可信IP：企业微信会以 60020 拒绝发送。请让自建应用在 Node 服务（npm start，固定公网出口 IP）上运行，或只用智能机器人（长连接，不需要可信IP）。',
      ),
    );
  }
  try {
    await api.token();
    rows.push(row(CREDENTIALS, 'ok', '已获取 access_token（gettoken）。'));
  } catch (error) {
    const code = error instanceof WecomApiError ? error.errcode : undefined;
    const hint =
      code === 40013
        ? '请核对 WECOM_CORP_ID（我的企业 → 企业信息 → 企业ID）。'
        : code === 40001
          ? '请核对 WECOM_SECRET（应用管理 → 本应用 → Secret）。'
          : `请检查到 ${config.apiBase} 的出站网络与 WECOM_API_BASE。`;
    rows.push(row(CREDENTIALS, 'error', `获取 access_token 失败（${refusal(error)}）：${hint}`));
    return [...rows, callbackRow()];
  }
  try {
    const agent = (await api.get('/cgi-bin/agent/get', { agentid: String(config.agentId) })) as {
      name?: string;
      close?: number;
      allow_userinfos?: { user?: unknown[] };
      allow_partys?: { partyid?: unknown[] };
      allow_tags?: { tagid?: unknown[] };
    };
    const users = agent.allow_userinfos?.user?.length ?? 0;
    const parties = agent.allow_partys?.partyid?.length ?? 0;
    const tags = agent.allow_tags?.tagid?.length ?? 0;
    const name = agent.name ? `应用“${agent.name}”` : '应用';
    if (agent.close === 1) {
      rows.push(row(APP, 'error', `${name}已停用：请在 应用管理 中启用。`));
    } else if (users + parties + tags === 0) {
      rows.push(
        row(
          APP,
          'warning',
          `${name}的可见范围为空：消息发不到任何人。请在 应用管理 → 本应用 → 可见范围 加入使用本系统的教职工。`,
        ),
      );
    } else {
      rows.push(
        row(
          APP,
          'ok',
          `本服务器的 IP 是企业可信IP；${name}可见范围：${parties} 个部门、${users} 名成员、${tags} 个标签。`,
        ),
      );
    }
  } catch (error) {
    if (error instanceof WecomApiError && error.errcode === WECOM_UNTRUSTED_IP) {
      // The client's message is the advice, with the IP WeCom saw (api.ts).
      rows.push(row(APP, 'error', error.message));
    } else if (error instanceof WecomApiError && error.errcode === 40056) {
      rows.push(
        row(
          APP,
          'error',
          `WECOM_AGENT_ID（${config.agentId}）不是本企业的应用：请核对 应用管理 → 本应用 → AgentId。`,
        ),
      );
    } else {
      rows.push(row(APP, 'error', `读取应用详情失败（${refusal(error)}）。`));
    }
  }
  return [...rows, callbackRow()];
}

function callbackRow(): CheckRow {
  return row(
    CALLBACK,
    'ok',
    'WECOM_TOKEN 与 WECOM_ENCODING_AES_KEY 已设置：接收消息 → 设置API接收 的 URL 为 https://<本服务域名>/webhooks/wecom（保存时企业微信会向它发校验请求，服务须已启动）。',
  );
}

const BOT = '企业微信智能机器人 · 长连接';

/**
 * Subscribes once with the bot's id and secret and disconnects. WeCom keeps one connection per bot and a
 * new one kicks the old (智能机器人长连接, path/101463): while a running instance holds the lease the
 * doctor does not connect; otherwise it takes the lease for the moment of its own connection.
 */
export async function wecomBotChecks(
  config: WecomBotConfig,
  options: { timeoutMs: number; database?: Database; connection?: ChannelHealth },
): Promise<CheckRow[]> {
  if (options.connection) {
    const state = options.connection;
    const what =
      state.role === 'standby'
        ? '由另一实例持有（本实例待命）'
        : state.connected
          ? '已连接'
          : String(state.state);
    return [
      row(
        BOT,
        state.ok ? 'ok' : 'error',
        state.ok
          ? `长连接${what}。`
          : `长连接${what}${lastError(state)}：请核对 WECOM_BOT_ID、WECOM_BOT_SECRET 与到 ${config.wsUrl} 的出站网络。`,
      ),
    ];
  }
  const leaseName = `wecom_bot:${config.botId}`;
  const db = options.database?.db;
  if (db) {
    const held = await leaseHolder(db, leaseName).catch(() => undefined);
    if (held) {
      return [
        row(
          BOT,
          'ok',
          '运行中的服务正持有长连接：为免挤掉它，未另行连接。其状态见 /healthz 的 connections.wecom_bot 或控制台“运行状态”页。',
        ),
      ];
    }
  }
  const holder = `doctor:${randomUUID()}`;
  if (db && !(await takeLease(db, leaseName, holder, options.timeoutMs + 5000).catch(() => false))) {
    return [row(BOT, 'ok', '运行中的服务刚取得长连接：未另行连接。')];
  }
  try {
    return [await subscribeOnce(config, options.timeoutMs)];
  } finally {
    if (db) await releaseLease(db, leaseName, holder).catch(() => {});
  }
}

async function subscribeOnce(config: WecomBotConfig, timeoutMs: number): Promise<CheckRow> {
  const { WSClient } = await import('@wecom/aibot-node-sdk');
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const client = new WSClient({
    botId: config.botId,
    secret: config.secret,
    wsUrl: config.wsUrl,
    maxReconnectAttempts: 0,
    logger: quiet,
  });
  const started = Date.now();
  const outcome = await new Promise<{ ok: true } | { ok: false; why: string }>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, why: `${seconds(timeoutMs)}内未完成订阅` }),
      timeoutMs,
    );
    client.on('authenticated', () => {
      clearTimeout(timer);
      resolve({ ok: true });
    });
    client.on('error', (error: unknown) => {
      clearTimeout(timer);
      resolve({ ok: false, why: reason(error) });
    });
    client.connect();
  });
  client.removeAllListeners();
  client.disconnect();
  if (outcome.ok) return row(BOT, 'ok', `订阅成功（${seconds(Date.now() - started)}）。`);
  return row(
    BOT,
    'error',
    `订阅失败（${outcome.why}）：请核对 WECOM_BOT_ID、WECOM_BOT_SECRET（智能机器人 → API 模式 → 长连接），以及到 ${config.wsUrl} 的出站网络（443 端口）。`,
  );
}
