import { describe, expect, it } from 'vitest';
import {
  decryptFeishu,
  FeishuCryptoError,
  feishuSignature,
  verifyFeishuSignature,
} from '../bot/channels/feishu/crypto.ts';
import { encryptFeishu } from './helpers/feishu-events.ts';

describe('Feishu decryption', () => {
  it('decrypts the official vector', () => {
    expect(decryptFeishu('test key', 'P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=')).toBe('hello world');
  });

  it('round-trips Chinese text through our test encoder', () => {
    const text = JSON.stringify({ text: '报隐患 三楼灭火器过期' });
    expect(decryptFeishu('k', encryptFeishu('k', text))).toBe(text);
  });

  it('refuses a wrong key, bad lengths and garbage with a typed error', () => {
    const encrypted = encryptFeishu('right', 'hello world, a longer plaintext');
    expect(() => decryptFeishu('wrong', encrypted)).toThrow(FeishuCryptoError);
    expect(() => decryptFeishu('test key', 'AAAA')).toThrow(FeishuCryptoError);
    expect(() => decryptFeishu('test key', '!!!not base64!!!')).toThrow(FeishuCryptoError);
  });

  it('refuses a wrong key also when its noise passes the padding check (about 1 in 256 random IVs)', () => {
    // Before the strict UTF-8 decoding, about a dozen of these returned noise as text.
    for (let i = 0; i < 3000; i += 1) {
      const encrypted = encryptFeishu('right', JSON.stringify({ event: { text: `报隐患 ${i}` } }));
      expect(() => decryptFeishu('wrong', encrypted)).toThrow(FeishuCryptoError);
    }
  });
});

describe('Feishu signature', () => {
  const body = '{"encrypt":"abc"}';
  const signature = feishuSignature('1700000000', 'nonce', 'key', body);

  it('is sha256 over timestamp + nonce + key + raw body', async () => {
    const { createHash } = await import('node:crypto');
    expect(signature).toBe(createHash('sha256').update(`1700000000noncekey${body}`).digest('hex'));
  });

  it('accepts the right signature and refuses forged or missing ones', () => {
    const headers = { timestamp: '1700000000', nonce: 'nonce', signature };
    expect(verifyFeishuSignature(headers, 'key', body)).toBe(true);
    expect(verifyFeishuSignature({ ...headers, signature: '0'.repeat(64) }, 'key', body)).toBe(false);
    expect(verifyFeishuSignature(headers, 'key', `${body} `)).toBe(false);
    expect(verifyFeishuSignature(headers, 'other key', body)).toBe(false);
    expect(verifyFeishuSignature({ ...headers, signature: undefined }, 'key', body)).toBe(false);
  });
});
