// Finding a person's platform id by their mobile or e-mail (the platforms' contact lookups), for the
// organization import: what a lookup answers, per channel, and why one found nobody.

/** Why a lookup found no id. */
export type LookupFailure =
  /** The platform has nobody with this mobile / e-mail (WeCom 46004). */
  | 'not_found'
  /** The person exists but is outside the app's visible range (WeCom 60011). */
  | 'out_of_range'
  /**
   * Feishu answers both alike: a user outside the app's 可用范围 "会表现为不存在"
   * (https://open.feishu.cn/document/server-docs/contact-v3/user/batch_get_id).
   */
  | 'not_found_or_out_of_range'
  /** The app lacks the permission (Feishu 99991672; WeCom 48002). */
  | 'no_permission'
  /** WeCom refuses calls from an IP that is not one of the 企业可信IP (60020). */
  | 'untrusted_ip'
  /** Anything else: wrong credentials, the platform unreachable. */
  | 'failed';

export type LookupOutcome = { id: string } | { failure: LookupFailure; detail?: string };

/** A mobile or an e-mail to look up. */
export interface ContactKey {
  by: 'mobile' | 'email';
  value: string;
}

/** Looks up many keys at once; every key gets an outcome. */
export type Directory = (keys: readonly ContactKey[]) => Promise<Map<string, LookupOutcome>>;

export const contactKey = (key: ContactKey) => `${key.by}:${key.value}`;

/** Both platforms keep mainland numbers without the country code, others with theirs (+852…). */
export const platformMobile = (mobile: string) => mobile.replace(/^\+86(?=1\d{10}$)/, '');
