// WeCom's contact lookups, one person per call: 手机号获取userid, POST /cgi-bin/user/getuserid
// (https://developer.work.weixin.qq.com/document/path/95402) and 邮箱获取userid, POST
// /cgi-bin/user/get_userid_by_email (https://developer.work.weixin.qq.com/document/path/95895). The app
// must be able to see the member (its 可见范围). Error codes (全局错误码, path/90313): 46004 no such
// user, 60011 no privilege over the member, 48002 API forbidden, 60020 the caller's IP is not trusted.
// WeCom blocks the lookup for a day when wrong numbers exceed 20 % of the corp's size, so nothing is
// tried twice, and after a 60020 nothing more is tried.
import {
  type ContactKey,
  contactKey,
  type Directory,
  type LookupOutcome,
  platformMobile,
} from '../directory.ts';
import { type WecomApi, WecomApiError } from './api.ts';

const FAILURE_OF: Record<number, LookupOutcome> = {
  46004: { failure: 'not_found' },
  60011: { failure: 'out_of_range' },
  48002: { failure: 'no_permission', detail: '企业微信 48002 接口无权限' },
  60020: { failure: 'untrusted_ip', detail: '企业微信 60020 本机 IP 不在企业可信IP中' },
};
/** Lookups at once: WeCom counts its frequency limits per minute, and a district has thousands. */
const AT_ONCE = 4;

async function call(api: WecomApi, path: string, body: unknown): Promise<LookupOutcome> {
  try {
    const result = await api.post(path, body);
    return typeof result.userid === 'string' && result.userid
      ? { id: result.userid }
      : { failure: 'failed', detail: '企业微信未返回 userid' };
  } catch (error) {
    if (error instanceof WecomApiError) {
      return FAILURE_OF[error.errcode] ?? { failure: 'failed', detail: error.message };
    }
    return { failure: 'failed', detail: error instanceof Error ? error.message : String(error) };
  }
}

async function lookup(api: WecomApi, key: ContactKey): Promise<LookupOutcome> {
  if (key.by === 'mobile') return call(api, '/cgi-bin/user/getuserid', { mobile: platformMobile(key.value) });
  // email_type 1: the corp mailbox, 2: a personal one. The address does not say which it is, so the
  // personal one is tried when the corp one finds nobody.
  const corp = await call(api, '/cgi-bin/user/get_userid_by_email', { email: key.value, email_type: 1 });
  if (!('failure' in corp) || corp.failure !== 'not_found') return corp;
  return call(api, '/cgi-bin/user/get_userid_by_email', { email: key.value, email_type: 2 });
}

export function wecomDirectory(api: WecomApi): Directory {
  return async (keys) => {
    const outcomes = new Map<string, LookupOutcome>();
    let stop: LookupOutcome | undefined;
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        const outcome = stop ?? (await lookup(api, key));
        // An untrusted IP or a wrong secret fails every call alike: the rest are not tried.
        if (
          'failure' in outcome &&
          (outcome.failure === 'untrusted_ip' || outcome.failure === 'no_permission')
        )
          stop ??= outcome;
        outcomes.set(contactKey(key), outcome);
      }
    };
    await Promise.all(Array.from({ length: AT_ONCE }, worker));
    return outcomes;
  };
}
