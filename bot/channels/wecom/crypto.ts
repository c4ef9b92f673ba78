// WeCom (企业微信) callback message crypto.
// Protocol: 加解密方案说明, https://developer.work.weixin.qq.com/document/path/90968
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ReasonError } from './reason-error.ts';

export type WecomCryptoErrorReason =
  | 'invalid_config'
  | 'invalid_base64'
  | 'invalid_block_length'
  | 'invalid_padding'
  | 'invalid_length_field'
  | 'invalid_utf8'
  | 'receive_id_mismatch'
  | 'signature_mismatch'
  | 'invalid_random';

export class WecomCryptoError extends ReasonError<WecomCryptoErrorReason> {
  override readonly name = 'WecomCryptoError';
}

export interface WecomCryptoConfig {
  token: string;
  /** 43 characters from [A-Za-z0-9], the Base64 of the 32-byte AES key without its trailing '='. */
  encodingAesKey: string;
  /** ReceiveId: the CorpID for a self-built app. */
  corpId: string;
}

/** Fields of an encrypted passive reply, ready for `buildXml`. */
export interface WecomEncryptedReply {
  Encrypt: string;
  MsgSignature: string;
  TimeStamp: string;
  Nonce: string;
}

// WeCom pads with PKCS#7 to a multiple of 32 bytes, not to the AES block size of 16.
const PAD_BLOCK = 32;
const RANDOM_LEN = 16;
const HEADER_LEN = RANDOM_LEN + 4;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class WecomCrypto {
  readonly #token: string;
  readonly #corpId: string;
  readonly #key: Buffer;
  readonly #iv: Buffer;

  constructor(config: WecomCryptoConfig) {
    const { token, encodingAesKey, corpId } = config;
    if (typeof token !== 'string' || token === '') {
      throw new WecomCryptoError('invalid_config', 'token must be a non-empty string');
    }
    if (typeof corpId !== 'string' || corpId === '') {
      throw new WecomCryptoError('invalid_config', 'corpId must be a non-empty string');
    }
    if (typeof encodingAesKey !== 'string' || !/^[A-Za-z0-9]{43}$/.test(encodingAesKey)) {
      throw new WecomCryptoError('invalid_config', 'encodingAesKey must be 43 characters of [A-Za-z0-9]');
    }
    this.#token = token;
    this.#corpId = corpId;
    this.#key = Buffer.from(`${encodingAesKey}=`, 'base64');
    this.#iv = this.#key.subarray(0, 16);
  }

  /** msg_signature = sha1_hex(sort([token, timestamp, nonce, encrypt]).join('')). */
  signature(timestamp: string, nonce: string, encrypt: string): string {
    const parts = [this.#token, timestamp, nonce, encrypt].sort();
    return createHash('sha1').update(parts.join(''), 'utf8').digest('hex');
  }

  verify(msgSignature: string, timestamp: string, nonce: string, encrypt: string): boolean {
    if (typeof msgSignature !== 'string' || typeof encrypt !== 'string') return false;
    const expected = Buffer.from(this.signature(String(timestamp), String(nonce), encrypt), 'utf8');
    const given = Buffer.from(msgSignature, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Verifies msg_signature first, then decrypts; throws `signature_mismatch` on a bad signature. */
  verifyAndDecrypt(
    msgSignature: string,
    timestamp: string,
    nonce: string,
    encrypt: string,
  ): { message: string; receiveId: string } {
    if (!this.verify(msgSignature, timestamp, nonce, encrypt)) {
      throw new WecomCryptoError('signature_mismatch', 'msg_signature does not match');
    }
    return this.decrypt(encrypt);
  }

  decrypt(encryptBase64: string): { message: string; receiveId: string } {
    if (typeof encryptBase64 !== 'string' || !BASE64_RE.test(encryptBase64)) {
      throw new WecomCryptoError('invalid_base64', 'ciphertext is not canonical base64');
    }
    const data = Buffer.from(encryptBase64, 'base64');
    if (data.length === 0 || data.length % 16 !== 0) {
      throw new WecomCryptoError(
        'invalid_block_length',
        `ciphertext length ${data.length} is not a positive multiple of 16`,
      );
    }
    const decipher = createDecipheriv('aes-256-cbc', this.#key, this.#iv);
    // Node's PKCS#7 unpadding only accepts pad values 1..16 and rejects the longer WeCom pads.
    decipher.setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(data), decipher.final()]);

    const pad = plain[plain.length - 1] ?? 0;
    if (pad < 1 || pad > PAD_BLOCK || pad > plain.length) {
      throw new WecomCryptoError('invalid_padding', `padding byte ${pad} is outside 1..${PAD_BLOCK}`);
    }
    for (let i = plain.length - pad; i < plain.length; i++) {
      if (plain[i] !== pad) {
        throw new WecomCryptoError('invalid_padding', 'padding bytes are not all equal to the pad length');
      }
    }
    const content = plain.subarray(0, plain.length - pad);
    if (content.length < HEADER_LEN) {
      throw new WecomCryptoError(
        'invalid_length_field',
        `plaintext of ${content.length} bytes has no header`,
      );
    }
    const msgLen = content.readUInt32BE(RANDOM_LEN);
    if (msgLen > content.length - HEADER_LEN) {
      throw new WecomCryptoError(
        'invalid_length_field',
        `message length ${msgLen} exceeds the ${content.length - HEADER_LEN} bytes available`,
      );
    }
    let message: string;
    let receiveId: string;
    try {
      message = utf8.decode(content.subarray(HEADER_LEN, HEADER_LEN + msgLen));
      receiveId = utf8.decode(content.subarray(HEADER_LEN + msgLen));
    } catch {
      throw new WecomCryptoError('invalid_utf8', 'decrypted message is not valid UTF-8');
    }
    if (receiveId !== this.#corpId) {
      throw new WecomCryptoError('receive_id_mismatch', 'receiveId does not match the configured corpId');
    }
    return { message, receiveId };
  }

  encrypt(message: string, opts?: { random?: Buffer }): string {
    const random = opts?.random ?? randomBytes(RANDOM_LEN);
    if (!Buffer.isBuffer(random) || random.length !== RANDOM_LEN) {
      throw new WecomCryptoError('invalid_random', `random prefix must be exactly ${RANDOM_LEN} bytes`);
    }
    const msg = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(msg.length);
    const body = Buffer.concat([random, length, msg, Buffer.from(this.#corpId, 'utf8')]);
    const pad = PAD_BLOCK - (body.length % PAD_BLOCK);
    const cipher = createCipheriv('aes-256-cbc', this.#key, this.#iv);
    cipher.setAutoPadding(false);
    const padded = Buffer.concat([body, Buffer.alloc(pad, pad)]);
    return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
  }

  /** Encrypts and signs a passive reply (被动回复); pass the result to `buildXml`. */
  encryptReply(message: string, timestamp: string, nonce: string): WecomEncryptedReply {
    const encrypt = this.encrypt(message);
    return {
      Encrypt: encrypt,
      MsgSignature: this.signature(timestamp, nonce, encrypt),
      TimeStamp: timestamp,
      Nonce: nonce,
    };
  }
}
