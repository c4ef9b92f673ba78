// Small files for evidence tests: real PNG and JPEG headers (file-type reads the magic bytes), padded to the
// size a test needs, and a file that is not an image; whole images any viewer decodes (a PNG of one
// colour, a grey baseline JPEG), built here so no binary fixture is kept.
import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { decode as decodeJpeg, encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.byteLength, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A well-formed PNG of one pixel (any decoder reads it) of about `size` bytes, padded with a text chunk,
 * whose content differs by `seed` (distinct sha256).
 */
export function png(seed: string, size = 2048): Uint8Array {
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
  const idat = deflateSync(Buffer.from([0, 40, 120, 200, 255]));
  const fixed = SIGNATURE.byteLength + 25 + 12 + idat.byteLength + 12 + 12;
  const text = Buffer.alloc(Math.max(size - fixed, 40), 0x20);
  text.write(`seed\0${createHash('sha256').update(seed).digest('hex')}`, 0, 'latin1');
  return new Uint8Array(
    Buffer.concat([
      SIGNATURE,
      chunk('IHDR', ihdr),
      chunk('tEXt', text),
      chunk('IDAT', idat),
      chunk('IEND', new Uint8Array()),
    ]),
  );
}

/** A PDF: a file, not an image. */
export const pdf = (seed: string) =>
  new TextEncoder().encode(`%PDF-1.4\n% ${seed}\n${'x'.repeat(512)}\n%%EOF\n`);

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A `width` × `height` PNG (8-bit RGB) filled with `rgb`. */
export function pngImage(
  width: number,
  height: number,
  rgb: [number, number, number] = [200, 60, 40],
): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // depth 8, colour type RGB, deflate, no filter, no interlace
  const line = Buffer.concat([
    Buffer.from([0]),
    Buffer.from(Array.from({ length: width }, () => rgb).flat()),
  ]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => line));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(pixels)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

const segment = (marker: number, body: number[]) => {
  const length = body.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...body];
};

/**
 * A mid-grey `width` × `height` baseline JPEG (one component): every 8 × 8 block has DC difference 0 and
 * ends at once, coded with one-symbol Huffman tables (a 0 bit each), so the scan is all zero bits.
 */
export function jpegImage(width: number, height: number): Buffer {
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  const bits = blocks * 2;
  const scan = new Array(Math.ceil(bits / 8)).fill(0);
  const pad = scan.length * 8 - bits;
  if (pad > 0) scan[scan.length - 1] = (1 << pad) - 1;
  const huffman = (tableClass: number) => [tableClass << 4, 1, ...new Array(15).fill(0), 0x00];
  return Buffer.from([
    0xff,
    0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, [0x00, ...new Array(64).fill(1)]),
    ...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    ...segment(0xc4, huffman(0)),
    ...segment(0xc4, huffman(1)),
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    ...scan,
    0xff,
    0xd9,
  ]);
}

/**
 * A photo-like `width` × `height` JPEG (jpeg-js, quality 85): gradients with a little noise, so that it
 * is as large as a phone's JPEG of that size; `seed` varies the noise (a distinct sha256).
 */
export function photoJpeg(width: number, height: number, seed = 1): Buffer {
  const data = new Uint8Array(width * height * 4);
  let state = seed;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      const noise = (state >> 16) & 15;
      const at = (y * width + x) * 4;
      data[at] = ((x * 255) / width + noise) & 255;
      data[at + 1] = ((y * 255) / height + noise) & 255;
      data[at + 2] = ((x + y) / 8) & 255;
      data[at + 3] = 255;
    }
  }
  return encodeJpeg({ width, height, data }, 85).data;
}

/** RGBA pixels painted by `paint(x, y)`, as a JPEG (quality 95) or a PNG. */
export function paintedImage(
  type: 'jpeg' | 'png',
  width: number,
  height: number,
  paint: (x: number, y: number) => [number, number, number, number],
): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y += 1)
    for (let x = 0; x < width; x += 1) data.set(paint(x, y), (y * width + x) * 4);
  if (type === 'jpeg') return encodeJpeg({ width, height, data }, 95).data;
  const image = new PNG({ width, height });
  image.data = data;
  return PNG.sync.write(image);
}

/** The JPEG with an EXIF segment (APP1, big-endian TIFF) whose IFD0 holds only the orientation tag. */
export function withOrientation(jpeg: Uint8Array, orientation: number): Buffer {
  const tiff = [
    0x4d,
    0x4d,
    0x00,
    0x2a,
    0x00,
    0x00,
    0x00,
    0x08, // MM, 42, IFD0 at 8
    0x00,
    0x01, // one entry
    0x01,
    0x12,
    0x00,
    0x03,
    0x00,
    0x00,
    0x00,
    0x01,
    0x00,
    orientation,
    0x00,
    0x00, // 0x0112 SHORT 1
    0x00,
    0x00,
    0x00,
    0x00, // no next IFD
  ];
  const body = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00, ...tiff];
  const app1 = segment(0xe1, body);
  return Buffer.concat([Buffer.from(jpeg.subarray(0, 2)), Buffer.from(app1), Buffer.from(jpeg.subarray(2))]);
}

/** A JPEG's bytes with a comment segment after its start: the same picture, another sha256. */
export function withComment(jpeg: Uint8Array, comment: string): Buffer {
  const app = segment(0xfe, [...Buffer.from(comment, 'latin1')]);
  return Buffer.concat([Buffer.from(jpeg.subarray(0, 2)), Buffer.from(app), Buffer.from(jpeg.subarray(2))]);
}

/** Starts as a JPEG (file-type takes it for one) and is nothing else. */
export const corruptJpeg = (seed: string) =>
  Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
    Buffer.from(`JFIF\0${seed}`.padEnd(4000, 'x')),
  ]);

/** Decodes a JPEG (the thumbnails the product makes): its size and RGBA pixels. */
export const decodeJpegImage = (bytes: Uint8Array) =>
  decodeJpeg(bytes, { useTArray: true }) as ReturnType<typeof decodeJpeg> & { exifBuffer?: Uint8Array };
