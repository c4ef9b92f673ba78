// Send limits of the platforms (DESIGN.md §6), kept by the outbox dispatcher before it calls a platform,
// so that it waits instead of collecting 429s or, on WeCom, having messages silently dropped.
//
// A limit is a sliding window: at most `limit` calls in any `windowMs`, the way the platforms (and the
// fakes in test/fakes) count. Each window remembers the times of its calls, so the answer is exact:
// "full until the oldest call in the window is older than the window", never a token-bucket burst that
// the platform's own window would refuse. Limits are named by key: `feishu:to:oc_123` is held to the
// rule `feishu:to`, the longest rule name that is the key or a `:`-prefix of it. A key without a rule
// is free, but can still be blocked (a platform said "wait" about something we do not count ourselves).
// A key named n times in one list is n calls on it: a row that goes out as three WeCom messages takes
// three of the member's 30 a minute.
//
// The limiter is in-process. With N instances each one keeps the limits on its own, so together they may
// send up to N times the rate. That is a deliberate trade-off: a shared counter (a table or Redis) would
// cost a round trip per message and a new moving part, and the platforms still answer an excess with a
// 429 (Feishu 99991400 / 230020, WeCom 45009), which the dispatcher retries after the wait the platform
// names and, meanwhile, blocks the key here so this instance stops knocking. The exception is WeCom's
// per-member limit, whose excess is dropped silently with no error to retry on: with several instances,
// keep member broadcasts to one of them, or lower `wecom:member` to its share.

/** At most `limit` calls in any `windowMs` milliseconds. */
export interface Window {
  limit: number;
  windowMs: number;
}

/** Rule name → its windows (all must allow a call). */
export type LimitRules = Readonly<Record<string, readonly Window[]>>;

/**
 * Defaults, from the platforms' documentation:
 * - Feishu (api-call-guide/frequency-control; im/v1/messages): 50 calls/s and 1000/min per app, and at
 *   most 5 messages/s into one chat or to one user, 5 updates/s of one message (230020 otherwise). The
 *   app's limits are per API; sends, replies and card updates share `feishu:app` here, to be safe.
 * - WeCom (访问频率限制, https://developer.work.weixin.qq.com/document/path/90454): one app may send one
 *   member at most 30 messages/min and 1000/hour; the excess is dropped without an error. A touser batch
 *   counts once per member. Sending does not count against the 10,000 calls/min per API, so there is no
 *   default per-app window; `wecom:api` is still named by every row so a 45009 can block all sends.
 * - Wechaty (a personal WeChat account) has no published limit, but WeChat throttles and then restricts
 *   accounts that send fast ("发送消息过于频繁", wechaty/wechaty#412, where the maintainers advise a pause
 *   between sends). The bot paces itself like a person: one message a second in a conversation on
 *   average (3 in any 3 s, so a reply of a text and a card is not held back) and 60 a minute in all, so
 *   a broadcast to 200 rooms takes minutes rather than seconds.
 */
export const DEFAULT_LIMITS: LimitRules = {
  'feishu:app': [
    { limit: 50, windowMs: 1000 },
    { limit: 1000, windowMs: 60_000 },
  ],
  'feishu:to': [{ limit: 5, windowMs: 1000 }],
  'feishu:msg': [{ limit: 5, windowMs: 1000 }],
  'wecom:member': [
    { limit: 30, windowMs: 60_000 },
    { limit: 1000, windowMs: 3_600_000 },
  ],
  'wechaty:to': [{ limit: 3, windowMs: 3000 }],
  'wechaty:bot': [{ limit: 60, windowMs: 60_000 }],
};

/**
 * Added to every window. A call under way counts as made now in every window, and once answered from its
 * answer (see `answered`); the platform counted it somewhere in between. The margin covers clocks and the
 * time between the platform's count and our reading of its answer. It costs about 10 % of Feishu's
 * per-second rate, nothing noticeable per minute.
 */
export const DEFAULT_MARGIN_MS = 100;

/**
 * A call not answered this long after its reservation no longer holds a place as a call under way (the
 * senders' own time limits are 10 s): one whose `answered` never came cannot block a key for good.
 */
export const IN_FLIGHT_LIMIT_MS = 60_000;

export type Reservation = { ok: true } | { ok: false; retryAt: number };

export interface RateLimiter {
  /** Takes one call from every key, or from none: `retryAt` (ms) is when all of them might allow it. */
  reserve(keys: readonly string[], now: number): Reservation;
  /** What `reserve` would answer, without taking anything. */
  check(keys: readonly string[], now: number): Reservation;
  /**
   * When a call could take every key if, on each key, `ahead(key)` calls are already waiting in front of
   * it: the time to put a held-back row back for, so that rows waiting together come due one after the
   * other as the window frees, not all at the first free slot (to be claimed and put back again).
   */
  freeAt(keys: readonly string[], now: number, ahead?: (key: string) => number): number;
  /**
   * The call reserved at `reservedAt` was answered at `at`: it is counted from then on. The platform
   * counted it somewhere in between, so counting it until its window has passed after the answer never
   * lets the next call in early, however long the call took (a cold token fetch, a slow network).
   */
  answered(keys: readonly string[], reservedAt: number, at: number): void;
  // A call reserved and not answered yet is under way: the platform may count it any time until it is
  // answered, so it holds its place in every window until then, also once its reservation is older than
  // the window (a stalled process, a slow token fetch). Without that, calls reserved while an old one was
  // still on its way made one more than the platform's limit arrive within its window (a 429, seen under
  // load). Every reservation is to be answered, failed calls too.
  /** Refuses the keys until `until` (ms), e.g. after a platform's 429 naming a wait. */
  block(keys: readonly string[], until: number): void;
}

export interface RateLimiterOptions {
  rules?: LimitRules;
  marginMs?: number;
}

interface Rule {
  name: string;
  windows: Window[];
  /** The longest window, margin included: older calls no longer matter. */
  spanMs: number;
}

/** Each key of the list with the number of times it is named (the calls it counts for). */
function countKeys(keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** Prune keys that fell idle after this many reservations, so a month of recipients is not kept. */
const SWEEP_EVERY = 1000;

export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const marginMs = options.marginMs ?? DEFAULT_MARGIN_MS;
  for (const [name, windows] of Object.entries(options.rules ?? DEFAULT_LIMITS)) {
    for (const { limit, windowMs } of windows) {
      if (!Number.isInteger(limit) || limit < 1 || !(windowMs > 0)) {
        throw new Error(`rate limit ${name}: ${limit} per ${windowMs} ms is not a limit`);
      }
    }
  }
  const rules: Rule[] = Object.entries(options.rules ?? DEFAULT_LIMITS)
    .map(([name, windows]) => ({
      name,
      windows: windows.map((window) => ({ limit: window.limit, windowMs: window.windowMs + marginMs })),
      spanMs: Math.max(0, ...windows.map((window) => window.windowMs + marginMs)),
    }))
    // Longest name first: `feishu:to:x` is `feishu:to`'s, even if a rule `feishu` existed.
    .sort((a, b) => b.name.length - a.name.length);
  /** Times of the calls counted per key, oldest first. */
  const calls = new Map<string, number[]>();
  /** Reservation times of the calls under way (reserved, not answered yet), per key. */
  const underWay = new Map<string, number[]>();
  const blocked = new Map<string, number>();
  let sinceSweep = 0;
  /** How long calls take to be answered, on average (they count from then): for `freeAt`'s schedule. */
  let lagMs = 0;

  const ruleOf = (key: string) => rules.find((rule) => key === rule.name || key.startsWith(`${rule.name}:`));

  /** The key's calls still inside its longest window; a clock set back counts later calls as now. */
  function recent(key: string, rule: Rule, now: number): number[] {
    const list = calls.get(key);
    if (!list) return [];
    let drop = 0;
    while (drop < list.length && list[drop]! <= now - rule.spanMs) drop++;
    if (drop > 0) list.splice(0, drop);
    for (let i = list.length - 1; i >= 0 && list[i]! > now; i--) list[i] = now;
    if (list.length === 0) calls.delete(key);
    return list;
  }

  /**
   * When the key allows `count` more calls at once (now, or later), if `ahead` calls wait in front of it
   * and each of them goes as soon as the windows allow.
   */
  function keyFreeAt(key: string, now: number, ahead: number, count: number): number {
    let at = now;
    const until = blocked.get(key);
    if (until !== undefined) {
      if (until > now) at = until;
      else blocked.delete(key);
    }
    const rule = ruleOf(key);
    if (!rule) return at;
    const list = recent(key, rule, now);
    // Calls under way count as made now in every window: one reserved a while ago may reach the platform
    // only now (a stalled process, a slow token fetch), so its reservation time says nothing of when the
    // platform counts it. Those still in the list at their reservation time are taken out of it.
    const flying = underWayOf(key, now);
    let times = list;
    if (flying.length > 0 || ahead > 0) {
      const reserved = [...flying];
      times = list.filter((time) => {
        const at = reserved.indexOf(time);
        if (at < 0) return true;
        reserved.splice(at, 1);
        return false;
      });
      for (let i = 0; i < flying.length; i++) times.push(now);
    }
    for (let placed = 0; ; placed++) {
      // The times are sorted and none is after `at`: a window has room at `at` once its limit-th
      // latest call has left it.
      // The last placement needs room for `count` calls at once (at most a whole window's worth).
      const need = placed >= ahead ? count : 1;
      for (const { limit, windowMs } of rule.windows) {
        const room = Math.min(need, limit);
        if (times.length + room > limit)
          at = Math.max(at, times[times.length + room - 1 - limit]! + windowMs);
      }
      if (placed >= ahead) return at;
      times.push(at + lagMs);
    }
  }

  /** The reservation times of the key's calls under way, less those given up (IN_FLIGHT_LIMIT_MS). */
  function underWayOf(key: string, now: number): number[] {
    const list = underWay.get(key);
    if (!list) return [];
    let drop = 0;
    while (drop < list.length && list[drop]! <= now - IN_FLIGHT_LIMIT_MS) drop++;
    if (drop > 0) list.splice(0, drop);
    if (list.length === 0) underWay.delete(key);
    return list;
  }

  function freeAt(keys: readonly string[], now: number, ahead?: (key: string) => number): number {
    let at = now;
    for (const [key, count] of countKeys(keys))
      at = Math.max(at, keyFreeAt(key, now, ahead?.(key) ?? 0, count));
    return at;
  }

  function check(keys: readonly string[], now: number): Reservation {
    const at = freeAt(keys, now);
    return at > now ? { ok: false, retryAt: at } : { ok: true };
  }

  function sweep(now: number) {
    for (const [key, until] of blocked) if (until <= now) blocked.delete(key);
    for (const key of calls.keys()) {
      const rule = ruleOf(key);
      if (rule) recent(key, rule, now);
      else calls.delete(key);
    }
    for (const key of underWay.keys()) {
      if (ruleOf(key)) underWayOf(key, now);
      else underWay.delete(key);
    }
  }

  return {
    check,
    freeAt,
    reserve(keys, now) {
      const answer = check(keys, now);
      if (!answer.ok) return answer;
      for (const [key, count] of countKeys(keys)) {
        if (!ruleOf(key)) continue;
        const list = calls.get(key) ?? [];
        const flying = underWay.get(key) ?? [];
        for (let i = 0; i < count; i++) {
          list.push(now);
          flying.push(now);
        }
        calls.set(key, list);
        underWay.set(key, flying);
      }
      if (++sinceSweep >= SWEEP_EVERY) {
        sinceSweep = 0;
        sweep(now);
      }
      return answer;
    },
    answered(keys, reservedAt, at) {
      for (const [key, count] of countKeys(keys)) {
        const flying = underWay.get(key);
        for (let i = 0; flying && i < count; i++) {
          const index = flying.lastIndexOf(reservedAt);
          if (index < 0) break;
          flying.splice(index, 1);
        }
        if (flying?.length === 0) underWay.delete(key);
      }
      if (at <= reservedAt) return;
      lagMs = lagMs * 0.8 + (at - reservedAt) * 0.2;
      for (const [key, count] of countKeys(keys)) {
        const rule = ruleOf(key);
        if (!rule) continue;
        const list = calls.get(key) ?? [];
        for (let i = 0; i < count; i++) {
          // Counted from its reservation until now, or already out of the list (reserved before the
          // window): either way it counts from its answer from now on.
          const index = list.lastIndexOf(reservedAt);
          if (index >= 0) list.splice(index, 1);
          // Keep the list sorted: the answer goes after every call counted no later than it.
          let place = list.length;
          while (place > 0 && list[place - 1]! > at) place--;
          list.splice(place, 0, at);
        }
        calls.set(key, list);
      }
    },
    block(keys, until) {
      for (const key of keys) blocked.set(key, Math.max(blocked.get(key) ?? 0, until));
    },
  };
}
