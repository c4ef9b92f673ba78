// The InboundEvent read back from the inbox's JSON (bot/core/event-schema.ts). No database.
import { describe, expect, it } from 'vitest';
import { parseInboundEvent } from '../bot/core/event-schema.ts';
import type { ActionEvent, MessageEvent } from '../bot/core/types.ts';

const message: MessageEvent = {
  type: 'message',
  channel: 'feishu',
  eventKey: 'ev-1',
  sender: { ids: [{ kind: 'open_id', value: 'ou_1' }], name: '陈静' },
  chat: { id: 'oc_1', type: 'group' },
  at: new Date('2026-03-02T01:02:03.000Z'),
  platformTenant: 'tk',
  messageId: 'om_1',
  text: '报隐患 走廊应急灯不亮',
  mentionedBot: true,
  mentions: [],
  attachments: [{ kind: 'image', key: 'img_1' }],
};

describe('parseInboundEvent', () => {
  it('gives back the event that was written as JSON, its time a Date again', () => {
    expect(parseInboundEvent(JSON.parse(JSON.stringify(message)))).toEqual({ ok: true, event: message });
    const action: ActionEvent = {
      type: 'action',
      channel: 'wecom',
      eventKey: 'event:1',
      sender: { ids: [{ kind: 'userid', value: 'zhang' }] },
      at: new Date('2026-03-02T01:02:03.000Z'),
      action: 'hazard.accept',
      args: { id: '12' },
      form: { note: '好' },
      messageId: 'task-1',
      answerRef: { responseCode: 'code' },
    };
    expect(parseInboundEvent(JSON.parse(JSON.stringify(action)))).toEqual({ ok: true, event: action });
  });

  it('says why a payload is not an event', () => {
    const { at: _at, ...timeless } = message;
    const parsed = parseInboundEvent({ ...timeless, text: 42 });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.reason).toContain('not an InboundEvent');
    expect(parsed.reason).toContain('text');
    expect(parseInboundEvent(null).ok).toBe(false);
    expect(parseInboundEvent({ ...message, at: 'not a time' }).ok).toBe(false);
    expect(parseInboundEvent({ ...message, type: 'reaction' }).ok).toBe(false);
  });
});
