// A small client of the WeCom server API over fetch: access_token cached until it expires, refreshed
// once when WeCom says it is no longer valid, and every failure turned into a DeliveryError.
// 获取access_token: https://developer.work.weixin.qq.com/document/path/91039
// 全局错误码: https://developer.work.weixin.qq.com/document/path/90313
import { z } from 'zod';
import { DeliveryError } from '../../core/delivery.ts';
import type { Logger } from '../../core/log.ts';
import type { WecomConfig } from '../../env.ts';

/** 40014 invalid access_token, 42001 access_token expired, 40001 invalid credential. */
const BAD_TOKEN = new Set([40014, 42001, 40001]);
/** -1 system busy, 45009 api freq out of limit, 45033 api concurrent out of limit. */
const TRY_AGAIN = new Set([-1, 45009, 45033]);
/**
 * The frequency refusals. WeCom blocks a limit hit per minute for 60 s (访问频率限制, path/90454), so the
 * call is retried no sooner, and every send of the app (`wecom:api`, named by each row) waits as long.
 */
const TOO_FREQUENT = new Set([45009, 45033]);
export const WECOM_API_KEY = 'wecom:api';
/**
 * 60020: the caller's IP is not one of the app's 企业可信IP (全局错误码, path/90313). WeCom names the IP it
 * saw in errmsg: "not allow to access from your ip, hint: [...], from ip: 1.2.3.4, more info at ...".
 */
export const WECOM_UNTRUSTED_IP = 60020;

/** The IP WeCom saw, read from a 60020 errmsg (undefined when it names none). */
export function untrustedIpOf(errmsg: string): string | undefined {
  return /from ip:\s*([0-9A-Fa-f.:]+)/.exec(errmsg)?.[1];
}

/** What the operator reads (outbox page, doctor, log) when WeCom refuses the server's IP. */
export function untrustedIpAdvice(ip: string | undefined): string {
  return (
    `企业微信拒绝了来自${ip ? ` IP ${ip} ` : '本服务器 IP '}的调用（60020：不是企业可信IP）。` +
    `请在企业微信管理后台 → 应用管理 → 本应用 → 企业可信IP 中加入${ip ? ` ${ip}` : '本服务器的公网出口 IP'}；` +
    'Cloudflare Workers 没有固定出口 IP，企业微信自建应用须用 Node 部署（npm start）发送。'
  );
}
export const WECOM_FREQUENCY_BLOCK_MS = 60_000;
/** Refresh this long before WeCom's expiry (expires_in is 7200 s), so a token never dies in flight. */
const EXPIRY_MARGIN_MS = 5 * 60 * 1000;

const resultSchema = z.looseObject({ errcode: z.number().default(0), errmsg: z.string().default('') });
export type WecomResult = z.infer<typeof resultSchema>;

const tokenSchema = z.object({ access_token: z.string().min(1), expires_in: z.number().positive() });

/** WeCom answered with a non-zero errcode. */
export class WecomApiError extends DeliveryError {
  override name = 'WecomApiError';
  constructor(
    message: string,
    retryable: boolean,
    readonly errcode: number,
  ) {
    const frequency = TOO_FREQUENT.has(errcode);
    super(
      message,
      retryable,
      frequency ? WECOM_FREQUENCY_BLOCK_MS : undefined,
      frequency ? [WECOM_API_KEY] : undefined,
    );
  }
}

export interface WecomApiOptions {
  config: Pick<WecomConfig, 'corpId' | 'secret' | 'apiBase'>;
  fetch?: typeof fetch;
  /** Where a refusal no retry can fix (60020) is logged, once per client. */
  log?: Logger;
  clock?: () => Date;
  timeoutMs?: number;
}

export interface WecomApi {
  /** POSTs JSON to a `/cgi-bin/...` path with the access token; resolves only on errcode 0. */
  post(path: string, body: unknown): Promise<WecomResult>;
  /** GETs a `/cgi-bin/...` path with the access token and `query`; resolves only on errcode 0. */
  get(path: string, query: Record<string, string>): Promise<WecomResult>;
  /** The access token (cached, or fetched with gettoken): `npm run doctor` checks the credentials with it. */
  token(): Promise<string>;
  /**
   * GETs a file from a `/cgi-bin/...` path with the access token (media/get): the response carrying its
   * bytes, or a WecomApiError when WeCom answered JSON instead (获取临时素材, path/90254: an error is
   * `{errcode, errmsg}` as JSON, a file any other Content-Type).
   */
  download(path: string, query: Record<string, string>): Promise<Response>;
}

export function createWecomApi(options: WecomApiOptions): WecomApi {
  const { config } = options;
  const doFetch = options.fetch ?? fetch;
  const clock = options.clock ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 10_000;
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;
  let untrustedLogged = false;

  async function request(url: string, init?: RequestInit): Promise<WecomResult> {
    let response: Response;
    try {
      response = await doFetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      // A timeout or a refused connection: worth another try.
      throw new DeliveryError(
        `WeCom unreachable: ${error instanceof Error ? error.message : String(error)}`,
        true,
      );
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      throw new DeliveryError(
        `WeCom HTTP ${response.status}`,
        response.status === 429 || response.status >= 500,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new DeliveryError('WeCom answered with something that is not JSON', true);
    }
    const parsed = resultSchema.safeParse(json);
    if (!parsed.success) throw new DeliveryError('WeCom answered with an unexpected body', true);
    return parsed.data;
  }

  function failure(result: WecomResult, what: string): WecomApiError {
    if (result.errcode === WECOM_UNTRUSTED_IP) {
      // A setting of the admin console, not a passing fault: every call fails until it is changed.
      const advice = untrustedIpAdvice(untrustedIpOf(result.errmsg));
      if (!untrustedLogged) {
        untrustedLogged = true;
        options.log?.error(`wecom: ${advice}`, { errcode: result.errcode, call: what });
      }
      return new WecomApiError(advice, false, result.errcode);
    }
    return new WecomApiError(
      `WeCom ${what}: errcode ${result.errcode} ${result.errmsg}`.trim(),
      TRY_AGAIN.has(result.errcode) || BAD_TOKEN.has(result.errcode),
      result.errcode,
    );
  }

  async function fetchToken(): Promise<string> {
    const url = new URL(`${config.apiBase}/cgi-bin/gettoken`);
    url.searchParams.set('corpid', config.corpId);
    url.searchParams.set('corpsecret', config.secret);
    const result = await request(url.toString());
    if (result.errcode !== 0) {
      // A wrong corpid/secret will not fix itself; rate limits and busy servers will.
      throw new WecomApiError(
        `WeCom gettoken: errcode ${result.errcode} ${result.errmsg}`.trim(),
        TRY_AGAIN.has(result.errcode),
        result.errcode,
      );
    }
    const token = tokenSchema.safeParse(result);
    if (!token.success) throw new DeliveryError('WeCom gettoken: no access_token in the answer', true);
    cached = {
      token: token.data.access_token,
      expiresAt: clock().getTime() + token.data.expires_in * 1000 - EXPIRY_MARGIN_MS,
    };
    return token.data.access_token;
  }

  async function token(): Promise<string> {
    if (cached && cached.expiresAt > clock().getTime()) return cached.token;
    // Concurrent sends share one gettoken call.
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  async function call(path: string, accessToken: string, body: unknown, query?: Record<string, string>) {
    const url = new URL(`${config.apiBase}${path}`);
    url.searchParams.set('access_token', accessToken);
    for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
    if (query) return request(url.toString());
    return request(url.toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async function getFile(path: string, accessToken: string, query: Record<string, string>) {
    const url = new URL(`${config.apiBase}${path}`);
    url.searchParams.set('access_token', accessToken);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    let response: Response;
    try {
      response = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new DeliveryError(
        `WeCom unreachable: ${error instanceof Error ? error.message : String(error)}`,
        true,
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DeliveryError(
        `WeCom HTTP ${response.status}`,
        response.status === 429 || response.status >= 500,
      );
    }
    if (!/json|text\/plain/i.test(response.headers.get('content-type') ?? '')) return response;
    const parsed = resultSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new DeliveryError('WeCom answered with an unexpected body', true);
    return parsed.data;
  }

  async function withToken(path: string, body: unknown, query?: Record<string, string>) {
    const first = await token();
    let result = await call(path, first, body, query);
    if (BAD_TOKEN.has(result.errcode)) {
      // The token was revoked or expired early: drop it and try once more with a fresh one.
      if (cached?.token === first) cached = undefined;
      result = await call(path, await token(), body, query);
    }
    if (result.errcode !== 0) throw failure(result, path.replace('/cgi-bin/', ''));
    return result;
  }

  return {
    post: (path, body) => withToken(path, body),
    get: (path, query) => withToken(path, undefined, query),
    token,
    async download(path, query) {
      const first = await token();
      let result = await getFile(path, first, query);
      if (!(result instanceof Response) && BAD_TOKEN.has(result.errcode)) {
        if (cached?.token === first) cached = undefined;
        result = await getFile(path, await token(), query);
      }
      if (result instanceof Response) return result;
      throw failure(result, path.replace('/cgi-bin/', ''));
    },
  };
}
