// Feishu's contact lookup: 通过手机号或邮箱获取用户 ID, POST /open-apis/contact/v3/users/batch_get_id
// (https://open.feishu.cn/document/server-docs/contact-v3/user/batch_get_id): at most 50 mobiles and 50
// e-mails per call, scope contact:user.id:readonly. With `user_id_type=open_id` it answers the open_id
// of this app (an open_id differs from app to app), the id the channel sends to and events carry. A
// user outside the app's 可用范围 comes back without an id, as one who does not exist.
import type * as lark from '@larksuiteoapi/node-sdk';
import {
  type ContactKey,
  contactKey,
  type Directory,
  type LookupOutcome,
  platformMobile,
} from '../directory.ts';

const PER_CALL = 50;
/** The generic "the app lacks a scope" refusal (api-call-guide/generic-error-code). */
const SCOPE_MISSING = 99991672;

interface Refusal {
  code?: number;
  msg?: string;
}

function refusalOf(error: unknown): Refusal & { status?: number } {
  const response = (error as { response?: { status?: number; data?: Refusal } }).response;
  if (response) return { status: response.status, ...response.data };
  return { msg: error instanceof Error ? error.message : String(error) };
}

export function feishuDirectory(client: () => Promise<lark.Client>): Directory {
  return async (keys) => {
    const sdk = await client();
    const outcomes = new Map<string, LookupOutcome>();
    const mobiles = keys.filter((key) => key.by === 'mobile');
    const emails = keys.filter((key) => key.by === 'email');
    for (let start = 0; start < Math.max(mobiles.length, emails.length); start += PER_CALL) {
      const batch = [...mobiles.slice(start, start + PER_CALL), ...emails.slice(start, start + PER_CALL)];
      const failAll = (outcome: LookupOutcome) => {
        for (const key of batch) outcomes.set(contactKey(key), outcome);
      };
      let answer: Awaited<ReturnType<typeof sdk.contact.user.batchGetId>>;
      try {
        answer = await sdk.contact.user.batchGetId({
          params: { user_id_type: 'open_id' },
          data: {
            mobiles: batch.filter((key) => key.by === 'mobile').map((key) => platformMobile(key.value)),
            emails: batch.filter((key) => key.by === 'email').map((key) => key.value),
          },
        });
      } catch (error) {
        answer = refusalOf(error);
      }
      if (answer.code !== undefined && answer.code !== 0) {
        const detail = `飞书 ${answer.code} ${answer.msg ?? ''}`.trim();
        failAll({ failure: answer.code === SCOPE_MISSING ? 'no_permission' : 'failed', detail });
        continue;
      }
      const found = new Map<string, string>();
      for (const user of answer.data?.user_list ?? []) {
        if (!user.user_id) continue;
        if (user.mobile) found.set(`mobile:${user.mobile}`, user.user_id);
        if (user.email) found.set(`email:${user.email.toLowerCase()}`, user.user_id);
      }
      for (const key of batch) {
        const asked: ContactKey =
          key.by === 'mobile'
            ? { by: 'mobile', value: platformMobile(key.value) }
            : { by: 'email', value: key.value.toLowerCase() };
        const id = found.get(contactKey(asked));
        outcomes.set(contactKey(key), id ? { id } : { failure: 'not_found_or_out_of_range' });
      }
    }
    return outcomes;
  };
}
