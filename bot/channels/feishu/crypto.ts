// Feishu event encryption and signatures.
// https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case
import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';

export class FeishuCryptoError extends Error {
  override name = 'FeishuCryptoError';
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** AES-256-CBC with key = SHA-256(encrypt key) and the IV in the first 16 bytes of the ciphertext. */
export function decryptFeishu(encryptKey: string, encrypted: string): string {
  const data = Buffer.from(encrypted, 'base64');
  if (data.length < 32 || data.length % 16 !== 0) {
    throw new FeishuCryptoError('encrypted payload has a bad length');
  }
  const key = createHash('sha256').update(encryptKey).digest();
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, data.subarray(0, 16));
    const plain = Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]);
    // A wrong key passes the padding check about once in 256 (the IV is random): its bytes are then noise,
    // which a strict UTF-8 decoding refuses (Feishu's plaintext is JSON text), never handed on as text.
    return STRICT_UTF8.decode(plain);
  } catch {
    throw new FeishuCryptoError('encrypted payload does not decrypt with the configured encrypt key');
  }
}

/** X-Lark-Signature = sha256_hex(timestamp + nonce + encrypt_key + raw body). */
export function feishuSignature(
  timestamp: string,
  nonce: string,
  encryptKey: string,
  rawBody: string,
): string {
  return createHash('sha256')
    .update(timestamp + nonce + encryptKey + rawBody)
    .digest('hex');
}

export function verifyFeishuSignature(
  headers: { timestamp?: string; nonce?: string; signature?: string },
  encryptKey: string,
  rawBody: string,
): boolean {
  if (!headers.timestamp || !headers.nonce || !headers.signature) return false;
  const expected = Buffer.from(feishuSignature(headers.timestamp, headers.nonce, encryptKey, rawBody));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Constant-time comparison of a verification token. */
export function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
