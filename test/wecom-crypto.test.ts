import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WecomCrypto, WecomCryptoError } from '../bot/channels/wecom/crypto.ts';
import {
  buildXml,
  parseWecomEnvelope,
  parseWecomMessage,
  parseXml,
  WecomXmlError,
} from '../bot/channels/wecom/xml.ts';
import { FakeWecomApi } from './fakes/wecom-api.ts';

// Official sample from WeCom's 加解密方案说明 / the WXBizMsgCrypt sample code (URL verification).
const TOKEN = 'QDG6eK';
const ENCODING_AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const CORP_ID = 'wx5823bf96d3bd56c7';
const VECTOR = {
  msgSignature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  plain: '1616140317555161061',
};

const crypto = new WecomCrypto({ token: TOKEN, encodingAesKey: ENCODING_AES_KEY, corpId: CORP_ID });
const AES_KEY = Buffer.from(`${ENCODING_AES_KEY}=`, 'base64');

/** Decrypts without touching the padding, to inspect what the encoder wrote. */
function rawPlaintext(encrypt: string): Buffer {
  const decipher = createDecipheriv('aes-256-cbc', AES_KEY, AES_KEY.subarray(0, 16));
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
}

function padLength(encrypt: string): number {
  const plain = rawPlaintext(encrypt);
  return plain[plain.length - 1] ?? 0;
}

function expectCryptoError(fn: () => unknown, reason?: string): WecomCryptoError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(WecomCryptoError);
  if (reason) expect((caught as WecomCryptoError).reason).toBe(reason);
  return caught as WecomCryptoError;
}

function expectXmlError(fn: () => unknown, reason?: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(WecomXmlError);
  if (reason) expect((caught as WecomXmlError).reason).toBe(reason);
}

describe('WecomCrypto: official sample', () => {
  it('computes the sample msg_signature', () => {
    expect(crypto.signature(VECTOR.timestamp, VECTOR.nonce, VECTOR.echostr)).toBe(VECTOR.msgSignature);
  });

  it('verifies and decrypts the URL-verification echostr', () => {
    expect(crypto.verify(VECTOR.msgSignature, VECTOR.timestamp, VECTOR.nonce, VECTOR.echostr)).toBe(true);
    expect(crypto.decrypt(VECTOR.echostr)).toEqual({ message: VECTOR.plain, receiveId: CORP_ID });
    expect(
      crypto.verifyAndDecrypt(VECTOR.msgSignature, VECTOR.timestamp, VECTOR.nonce, VECTOR.echostr),
    ).toEqual({
      message: VECTOR.plain,
      receiveId: CORP_ID,
    });
  });

  it('re-encrypts the sample byte-for-byte given the same random prefix', () => {
    const random = rawPlaintext(VECTOR.echostr).subarray(0, 16);
    expect(crypto.encrypt(VECTOR.plain, { random })).toBe(VECTOR.echostr);
  });
});

describe('WecomCrypto: round trips and 32-byte padding', () => {
  it('round-trips ASCII messages of 0..200 bytes', () => {
    const pads = new Set<number>();
    for (let len = 0; len <= 200; len++) {
      const message = 'x'.repeat(len);
      const encrypted = crypto.encrypt(message);
      pads.add(padLength(encrypted));
      expect(Buffer.from(encrypted, 'base64').length % 32).toBe(0);
      expect(crypto.decrypt(encrypted)).toEqual({ message, receiveId: CORP_ID });
    }
    // Every pad length 1..32 shows up, so both halves are exercised.
    expect([...pads].sort((a, b) => a - b)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
  });

  it('round-trips multi-byte Chinese messages of many lengths', () => {
    const chars = Array.from('校园安全一岗双责，请及时上报隐患。🚸');
    for (let n = 0; n <= 70; n++) {
      const message = Array.from({ length: n }, (_, i) => chars[i % chars.length]).join('');
      expect(crypto.decrypt(crypto.encrypt(message)).message).toBe(message);
    }
  });

  it('decrypts messages whose padding is longer than 16 bytes', () => {
    const longPads: number[] = [];
    for (let len = 0; len < 32; len++) {
      const message = `安全${'a'.repeat(len)}`;
      const encrypted = crypto.encrypt(message);
      const pad = padLength(encrypted);
      if (pad <= 16) continue;
      longPads.push(pad);
      expect(pad).toBeGreaterThan(16);
      expect(crypto.decrypt(encrypted).message).toBe(message);
    }
    expect(longPads.length).toBe(16);
  });

  it("documents why: Node's default PKCS#7 unpadding rejects a pad longer than 16", () => {
    // plaintext = 16 + 4 + len + 18 (corpId) bytes; len 0 gives 38 bytes, so 26 bytes of padding.
    const encrypted = crypto.encrypt('');
    expect(padLength(encrypted)).toBe(26);
    const decipher = createDecipheriv('aes-256-cbc', AES_KEY, AES_KEY.subarray(0, 16));
    decipher.update(Buffer.from(encrypted, 'base64'));
    expect(() => decipher.final()).toThrow();
    expect(crypto.decrypt(encrypted).message).toBe('');
  });

  it('is deterministic given the random prefix, and rejects a wrong-sized one', () => {
    const random = Buffer.alloc(16, 7);
    expect(crypto.encrypt('hi', { random })).toBe(crypto.encrypt('hi', { random }));
    expect(crypto.encrypt('hi')).not.toBe(crypto.encrypt('hi'));
    expectCryptoError(() => crypto.encrypt('hi', { random: Buffer.alloc(15) }), 'invalid_random');
  });

  it('builds an encrypted passive reply that verifies and decrypts', () => {
    const inner = buildXml({
      ToUserName: 'zhangsan',
      FromUserName: CORP_ID,
      CreateTime: 1409659589,
      MsgType: 'text',
      Content: '收到',
    });
    const reply = crypto.encryptReply(inner, '1409659589', '1320562132');
    const envelope = parseXml(buildXml({ ...reply }));
    expect(envelope.TimeStamp).toBe('1409659589');
    const opened = crypto.verifyAndDecrypt(
      envelope.MsgSignature ?? '',
      envelope.TimeStamp ?? '',
      envelope.Nonce ?? '',
      envelope.Encrypt ?? '',
    );
    expect(parseXml(opened.message).Content).toBe('收到');
  });
});

describe('WecomCrypto: failures are typed', () => {
  it('rejects a wrong signature', () => {
    const bad = `${VECTOR.msgSignature.slice(0, -1)}0`;
    expect(crypto.verify(bad, VECTOR.timestamp, VECTOR.nonce, VECTOR.echostr)).toBe(false);
    expect(crypto.verify('', VECTOR.timestamp, VECTOR.nonce, VECTOR.echostr)).toBe(false);
    expect(crypto.verify(VECTOR.msgSignature, VECTOR.timestamp, '263014781', VECTOR.echostr)).toBe(false);
    expectCryptoError(
      () => crypto.verifyAndDecrypt(bad, VECTOR.timestamp, VECTOR.nonce, VECTOR.echostr),
      'signature_mismatch',
    );
    const otherToken = new WecomCrypto({ token: 'other', encodingAesKey: ENCODING_AES_KEY, corpId: CORP_ID });
    expect(otherToken.verify(VECTOR.msgSignature, VECTOR.timestamp, VECTOR.nonce, VECTOR.echostr)).toBe(
      false,
    );
  });

  it('rejects tampered ciphertext', () => {
    const bytes = Buffer.from(VECTOR.echostr, 'base64');
    // Last block: corrupts the padding / receiveId.
    for (let i = bytes.length - 16; i < bytes.length; i++) {
      const copy = Buffer.from(bytes);
      copy[i] = (copy[i] ?? 0) ^ 0x01;
      expectCryptoError(() => crypto.decrypt(copy.toString('base64')));
    }
    // CBC is malleable: a flip in the middle may still decrypt, so the signature is what catches it.
    const mid = Buffer.from(bytes);
    mid[20] = (mid[20] ?? 0) ^ 0x80;
    expectCryptoError(
      () =>
        crypto.verifyAndDecrypt(VECTOR.msgSignature, VECTOR.timestamp, VECTOR.nonce, mid.toString('base64')),
      'signature_mismatch',
    );
  });

  it('rejects a message for another corpId', () => {
    const other = new WecomCrypto({
      token: TOKEN,
      encodingAesKey: ENCODING_AES_KEY,
      corpId: 'wwsomeothercorp',
    });
    expectCryptoError(() => other.decrypt(VECTOR.echostr), 'receive_id_mismatch');
  });

  it('rejects garbage base64 and bad lengths', () => {
    expectCryptoError(() => crypto.decrypt('not base64!!'), 'invalid_base64');
    expectCryptoError(() => crypto.decrypt('abc'), 'invalid_base64');
    expectCryptoError(() => crypto.decrypt(`${VECTOR.echostr} `), 'invalid_base64');
    expectCryptoError(() => crypto.decrypt(undefined as unknown as string), 'invalid_base64');
    expectCryptoError(() => crypto.decrypt(''), 'invalid_block_length');
    expectCryptoError(() => crypto.decrypt('AAAA'), 'invalid_block_length');
    expectCryptoError(() => crypto.decrypt(VECTOR.echostr.slice(0, 40)), 'invalid_block_length');
    expectCryptoError(() => crypto.decrypt(VECTOR.echostr.slice(0, 43)), 'invalid_base64');
  });

  it('reports bad padding and an out-of-range length field', () => {
    const encryptRaw = (plain: Buffer) => {
      const cipher = createCipheriv('aes-256-cbc', AES_KEY, AES_KEY.subarray(0, 16));
      cipher.setAutoPadding(false);
      return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
    };
    expectCryptoError(() => crypto.decrypt(encryptRaw(Buffer.alloc(32, 0))), 'invalid_padding');
    expectCryptoError(() => crypto.decrypt(encryptRaw(Buffer.alloc(32, 33))), 'invalid_padding');
    const mixed = Buffer.alloc(32, 4);
    mixed[29] = 5;
    expectCryptoError(() => crypto.decrypt(encryptRaw(mixed)), 'invalid_padding');
    const tooLong = Buffer.alloc(64, 0);
    tooLong.writeUInt32BE(1000, 16);
    tooLong.fill(24, 40);
    expectCryptoError(() => crypto.decrypt(encryptRaw(tooLong)), 'invalid_length_field');
    expectCryptoError(() => crypto.decrypt(encryptRaw(Buffer.alloc(32, 32))), 'invalid_length_field');
  });

  it('never throws anything but WecomCryptoError on random input', () => {
    for (let i = 0; i < 300; i++) {
      const input =
        i % 2 === 0
          ? randomBytes(16 * (1 + (i % 6))).toString('base64')
          : randomBytes(i % 40).toString('latin1');
      try {
        crypto.decrypt(input);
      } catch (e) {
        expect(e).toBeInstanceOf(WecomCryptoError);
      }
    }
  });

  it('rejects an invalid configuration', () => {
    expectCryptoError(
      () => new WecomCrypto({ token: TOKEN, encodingAesKey: 'short', corpId: CORP_ID }),
      'invalid_config',
    );
    expectCryptoError(
      () => new WecomCrypto({ token: '', encodingAesKey: ENCODING_AES_KEY, corpId: CORP_ID }),
      'invalid_config',
    );
  });
});

describe('WeCom XML', () => {
  it('round-trips build and parse, including ]]> and markup inside values', () => {
    const record = {
      ToUserName: CORP_ID,
      Content: 'a]]>b]]]]>c <tag attr="1">&amp; 安全</tag>',
      Spaces: '  leading and trailing  ',
      Lines: 'line1\nline2',
      Empty: '',
    };
    const xml = buildXml(record);
    expect(xml.startsWith('<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>')).toBe(true);
    expect(parseXml(xml)).toEqual(record);
  });

  it('writes numbers bare and keeps every parsed value a string', () => {
    const xml = buildXml({ CreateTime: 1348831860, MsgType: 'text' });
    expect(xml).toBe('<xml><CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType></xml>');
    expect(parseXml(xml)).toEqual({ CreateTime: '1348831860', MsgType: 'text' });
  });

  it('keeps a 19-digit MsgId exact', () => {
    const parsed = parseXml('<xml><MsgId>1234567890123456789</MsgId><Max>9223372036854775807</Max></xml>');
    expect(parsed.MsgId).toBe('1234567890123456789');
    expect(parsed.Max).toBe('9223372036854775807');
  });

  it('parses the outer callback envelope, with declaration and whitespace', () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<xml>
  <ToUserName><![CDATA[${CORP_ID}]]></ToUserName>
  <Encrypt><![CDATA[${VECTOR.echostr}]]></Encrypt>
  <AgentID><![CDATA[218]]></AgentID>
</xml>`;
    expect(parseWecomEnvelope(body)).toEqual({
      ToUserName: CORP_ID,
      Encrypt: VECTOR.echostr,
      AgentID: '218',
    });
    expectXmlError(() => parseWecomEnvelope('<xml><ToUserName>x</ToUserName></xml>'), 'schema');
  });

  it('rejects garbage with WecomXmlError only', () => {
    const garbage: unknown[] = [
      '',
      '   ',
      'hello',
      '{"xml":1}',
      '<xml>',
      '<xml><A>1</B></xml>',
      '<a/><b/>',
      '<root><A>1</A></root>',
      '<xml>just text</xml>',
      '<!DOCTYPE xml [<!ENTITY a "b">]><xml><A>&a;</A></xml>',
      undefined,
      null,
      42,
      Buffer.from('<xml/>'),
    ];
    for (const input of garbage) expectXmlError(() => parseXml(input as string));
    for (let i = 0; i < 300; i++) {
      const input =
        i % 2 ? randomBytes(i % 64).toString('latin1') : `<xml>${randomBytes(i % 32).toString('utf8')}`;
      try {
        parseWecomMessage(input);
      } catch (e) {
        expect(e).toBeInstanceOf(WecomXmlError);
      }
    }
  });

  it('refuses element names and characters XML cannot carry', () => {
    expectXmlError(() => buildXml({ 'bad key': 'x' }), 'invalid_key');
    expectXmlError(() => buildXml({ '<x>': 'x' }), 'invalid_key');
    expectXmlError(() => buildXml({ A: 'nul\u0000' }), 'invalid_value');
    expectXmlError(() => buildXml({ A: Number.NaN }), 'invalid_value');
  });
});

describe('parseWecomMessage', () => {
  const common = {
    ToUserName: CORP_ID,
    FromUserName: 'zhangsan',
    CreateTime: 1348831860,
    AgentID: '1000002',
  };

  it('parses a text message', () => {
    const msg = parseWecomMessage(
      buildXml({
        ...common,
        MsgType: 'text',
        Content: '  教学楼 3 楼灭火器过期 ',
        MsgId: '1234567890123456789',
      }),
    );
    expect(msg).toMatchObject({
      kind: 'text',
      toUserName: CORP_ID,
      fromUserName: 'zhangsan',
      createTime: 1348831860,
      agentId: '1000002',
      msgId: '1234567890123456789',
      content: '  教学楼 3 楼灭火器过期 ',
    });
  });

  it('parses an image message', () => {
    const xml = `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>
<CreateTime>1348831860</CreateTime><MsgType><![CDATA[image]]></MsgType>
<PicUrl><![CDATA[https://example.invalid/pic.jpg]]></PicUrl><MediaId><![CDATA[media_id_1]]></MediaId>
<MsgId>9223372036854775807</MsgId><AgentID>1</AgentID></xml>`;
    expect(parseWecomMessage(xml)).toMatchObject({
      kind: 'image',
      fromUserName: 'lisi',
      picUrl: 'https://example.invalid/pic.jpg',
      mediaId: 'media_id_1',
      msgId: '9223372036854775807',
      agentId: '1',
    });
  });

  it('parses a template_card_event and ignores SelectedItems', () => {
    const xml = `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><FromUserName><![CDATA[wangwu]]></FromUserName>
<CreateTime>1629280209</CreateTime><MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[confirm]]></EventKey>
<TaskId><![CDATA[hazard-42]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>
<ResponseCode><![CDATA[rc_abc]]></ResponseCode><AgentID>1000002</AgentID>
<SelectedItems><SelectedItem><QuestionKey><![CDATA[q1]]></QuestionKey>
<OptionIds><OptionId><![CDATA[o1]]></OptionId><OptionId><![CDATA[o2]]></OptionId></OptionIds></SelectedItem></SelectedItems>
</xml>`;
    const msg = parseWecomMessage(xml);
    expect(msg).toMatchObject({
      kind: 'card_event',
      fromUserName: 'wangwu',
      createTime: 1629280209,
      eventKey: 'confirm',
      taskId: 'hazard-42',
      cardType: 'button_interaction',
      responseCode: 'rc_abc',
      agentId: '1000002',
    });
    expect(msg.raw).not.toHaveProperty('SelectedItems');
  });

  it('returns kind other for unknown events and message types', () => {
    const enter = parseWecomMessage(
      buildXml({ ...common, MsgType: 'event', Event: 'enter_agent', EventKey: '' }),
    );
    expect(enter).toMatchObject({ kind: 'other', msgType: 'event', event: 'enter_agent' });
    const voice = parseWecomMessage(buildXml({ ...common, MsgType: 'voice', MediaId: 'm', MsgId: '1' }));
    expect(voice).toMatchObject({ kind: 'other', msgType: 'voice', event: undefined });
    expect(parseWecomMessage('<xml></xml>')).toMatchObject({ kind: 'other', msgType: '' });
  });

  it('rejects a known type with missing or malformed fields', () => {
    expectXmlError(() => parseWecomMessage(buildXml({ ...common, MsgType: 'text', MsgId: '1' })), 'schema');
    expectXmlError(
      () => parseWecomMessage(buildXml({ ...common, MsgType: 'text', Content: 'x', MsgId: '12ab' })),
      'schema',
    );
    expectXmlError(
      () => parseWecomMessage(buildXml({ ...common, MsgType: 'event', Event: 'template_card_event' })),
      'schema',
    );
  });
});

describe('FakeWecomApi', () => {
  const api = new FakeWecomApi({ corpId: 'wwcorp', corpSecret: 's3cret', agentId: 1000002 });
  let base = '';

  beforeAll(async () => {
    base = (await api.start()).url;
  });
  afterAll(() => api.close());
  beforeEach(() => api.reset());

  async function call(
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    return {
      status: res.status,
      json: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {},
    };
  }
  async function token(): Promise<string> {
    const { json } = await call('/cgi-bin/gettoken?corpid=wwcorp&corpsecret=s3cret');
    return String(json.access_token);
  }
  const text = (touser: string, content = 'hello') => ({
    touser,
    msgtype: 'text',
    agentid: 1000002,
    text: { content },
  });

  it('issues tokens and refuses a wrong secret', async () => {
    const first = await call('/cgi-bin/gettoken?corpid=wwcorp&corpsecret=s3cret');
    expect(first.json).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    expect(typeof first.json.access_token).toBe('string');
    expect(await token()).toBe(first.json.access_token);
    expect((await call('/cgi-bin/gettoken?corpid=wwcorp&corpsecret=nope')).json.errcode).toBe(40001);
    expect(api.tokenRequests).toBe(3);
  });

  it('sends a message and records it', async () => {
    const t = await token();
    const { json } = await call(`/cgi-bin/message/send?access_token=${t}`, text('zhangsan|lisi'));
    expect(json).toMatchObject({ errcode: 0, errmsg: 'ok', invaliduser: '' });
    expect(typeof json.msgid).toBe('string');
    expect(json).not.toHaveProperty('response_code');
    expect(api.sent).toEqual([text('zhangsan|lisi')]);
  });

  it('refuses more than 1000 users in touser', async () => {
    const t = await token();
    const users = Array.from({ length: 1001 }, (_, i) => `u${i}`).join('|');
    const { json } = await call(`/cgi-bin/message/send?access_token=${t}`, text(users));
    expect(json.errcode).toBe(40058);
    expect(api.sent).toHaveLength(0);
    const ok = await call(
      `/cgi-bin/message/send?access_token=${t}`,
      text(users.split('|').slice(0, 1000).join('|')),
    );
    expect(ok.json.errcode).toBe(0);
  });

  it('answers forced failures in order, then recovers', async () => {
    const t = await token();
    api.failNext(1, 'send');
    api.forceNext({ endpoint: 'send', errcode: 45009 });
    expect((await call(`/cgi-bin/message/send?access_token=${t}`, text('zhangsan'))).status).toBe(500);
    expect((await call(`/cgi-bin/message/send?access_token=${t}`, text('zhangsan'))).json.errcode).toBe(
      45009,
    );
    expect((await call(`/cgi-bin/message/send?access_token=${t}`, text('zhangsan'))).json.errcode).toBe(0);
    expect(api.sent).toHaveLength(1);
  });

  it('distinguishes expired and invalid tokens', async () => {
    const t = await token();
    api.expireToken();
    expect((await call(`/cgi-bin/message/send?access_token=${t}`, text('a'))).json.errcode).toBe(42001);
    const fresh = await token();
    expect(fresh).not.toBe(t);
    expect((await call(`/cgi-bin/message/send?access_token=${fresh}`, text('a'))).json.errcode).toBe(0);
    expect((await call('/cgi-bin/message/send?access_token=bogus', text('a'))).json).toEqual({
      errcode: 40014,
      errmsg: 'invalid access_token',
    });
  });

  it('suppresses duplicates within duplicate_check_interval', async () => {
    const t = await token();
    const body = { ...text('a'), enable_duplicate_check: 1, duplicate_check_interval: 600 };
    expect((await call(`/cgi-bin/message/send?access_token=${t}`, body)).json.errcode).toBe(0);
    expect((await call(`/cgi-bin/message/send?access_token=${t}`, body)).json.errcode).toBe(0);
    expect(api.sent).toHaveLength(1);
    expect(api.deduplicated).toHaveLength(1);
  });

  it('returns a response_code for button cards and accepts update_template_card', async () => {
    const t = await token();
    const card = {
      touser: 'a',
      msgtype: 'template_card',
      agentid: 1000002,
      template_card: { card_type: 'button_interaction', task_id: 'hazard-1' },
    };
    const sent = await call(`/cgi-bin/message/send?access_token=${t}`, card);
    expect(typeof sent.json.response_code).toBe('string');
    const update = {
      userids: ['a'],
      agentid: 1000002,
      response_code: sent.json.response_code,
      button: { replace_name: '已处理' },
    };
    const res = await call(`/cgi-bin/message/update_template_card?access_token=${t}`, update);
    expect(res.json).toEqual({ errcode: 0, errmsg: 'ok', invaliduser: [] });
    expect(api.updates).toEqual([update]);
  });

  it('drops messages past the per-member limit', async () => {
    const limited = new FakeWecomApi({ perMemberLimitPerMinute: 30 });
    const { url, close } = await limited.start();
    try {
      const tok = await fetch(
        `${url}/cgi-bin/gettoken?corpid=${limited.corpId}&corpsecret=${limited.corpSecret}`,
      );
      const t = String(((await tok.json()) as { access_token: string }).access_token);
      for (let i = 0; i < 32; i++) {
        const res = await fetch(`${url}/cgi-bin/message/send?access_token=${t}`, {
          method: 'POST',
          body: JSON.stringify({ ...text('a', `m${i}`), agentid: 1 }),
        });
        expect(((await res.json()) as { errcode: number }).errcode).toBe(0);
      }
      expect(limited.dropped.map((d) => d.userId)).toEqual(['a', 'a']);
    } finally {
      await close();
    }
  });
});
