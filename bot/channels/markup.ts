// User text must reach people as typed and never act as a platform's markup (an `<at user_id="all">` in a
// 驳回 reason would @ everyone in the group). Every string of the neutral cards and text messages is plain
// text, so each renderer makes all of it inert; only the markup a renderer adds itself is live.

const FULL_WIDTH: Record<string, string> = { '<': '＜', '>': '＞', '&': '＆' };

/**
 * Replaces `<`, `>` and `&` by their full-width forms (＜＞＆), which no parser reads as a tag or an
 * entity. Feishu text messages read `<at user_id="all"></at>` and style tags, Feishu card markdown
 * `<at id=all></at>`, `<font>`, `<link>` and HTML entities, WeCom text messages `<a href>` links; none
 * documents an escape for them, so the characters themselves are replaced (the look stays the same).
 * Feishu: https://open.feishu.cn/document/server-docs/im-v1/message-content-description/create_json
 * and https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/rich-text;
 * WeCom: https://developer.work.weixin.qq.com/document/path/90236 (text: "支持换行、以及A标签").
 */
export const inertTags = (value: string): string => value.replace(/[<>&]/g, (ch) => FULL_WIDTH[ch]!);
