// Small files for evidence tests: real PNG and JPEG headers (file-type reads the magic bytes), padded to the
// size a test needs, and a file that is not an image.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.byteLength, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A well-formed PNG of about `size` bytes whose content differs by `seed` (distinct sha256). */
export function png(seed: string, size = 2048): Uint8Array {
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
  const fixed = SIGNATURE.byteLength + 25 + 12 + 12;
  const text = Buffer.alloc(Math.max(size - fixed, 40), 0x20);
  text.write(`seed\0${createHash('sha256').update(seed).digest('hex')}`, 0, 'latin1');
  return new Uint8Array(
    Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('tEXt', text), chunk('IEND', new Uint8Array())]),
  );
}

/** A PDF: a file, not an image. */
export const pdf = (seed: string) =>
  new TextEncoder().encode(`%PDF-1.4\n% ${seed}\n${'x'.repeat(512)}\n%%EOF\n`);

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
