// Thumbnails of photos (handlers/thumbnail.ts) and their thread (bot/core/thumbnails.ts): a large JPEG
// becomes a JPEG of a few KB whose long side is 128 px, turned as its EXIF says, averaged (a box filter, not
// one pixel picked), a PNG's transparency on white; what is not a decodable JPEG or PNG, or has too many
// pixels, is refused with the reason. On the thread, a photo past the time limit is stopped and refused,
// and the next one is made on a fresh thread.

import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { createThumbnailer } from '../bot/core/thumbnails.ts';
import { encodeJpeg } from '../handlers/jpeg-encoder.ts';
import { exifOrientation, makeThumbnail, THUMBNAIL_LIMITS } from '../handlers/thumbnail.ts';
import {
  corruptJpeg,
  decodeJpegImage,
  jpegImage,
  paintedImage,
  photoJpeg,
  pngImage,
  withOrientation,
} from './helpers/images.ts';

const made = (result: ReturnType<typeof makeThumbnail>) => {
  if (!result.ok) throw new Error(`refused: ${result.refused}`);
  return { ...result, image: decodeJpegImage(result.bytes) };
};
const pixel = (image: ReturnType<typeof decodeJpegImage>, x: number, y: number) =>
  Array.from(image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 3));
const near = (actual: number[], expected: number[], within = 12) =>
  actual.every((value, index) => Math.abs(value - expected[index]!) <= within);

/** Made once by libjpeg (through sharp) from 640 × 480 pixels: left red, right blue, the bottom quarter white. */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

describe('makeThumbnail', () => {
  it('reads the JPEGs phones and chat apps send: progressive with 4:2:0 chroma, and CMYK', () => {
    for (const [name, within] of [
      ['photo-progressive.jpg', 12],
      // libjpeg's CMYK through an ICC profile; ours is the plain conversion: the colours are near, not equal.
      ['photo-cmyk.jpg', 45],
    ] as const) {
      const thumbnail = made(makeThumbnail(fixture(name), 'image/jpeg'));
      expect([thumbnail.width, thumbnail.height], name).toEqual([128, 96]);
      expect(near(pixel(thumbnail.image, 20, 30), [220, 30, 30], within), name).toBe(true);
      expect(near(pixel(thumbnail.image, 110, 30), [30, 30, 220], within), name).toBe(true);
      expect(near(pixel(thumbnail.image, 64, 90), [255, 255, 255], 6), name).toBe(true);
    }
  });

  it('makes a 3000 × 2000 JPEG a JPEG of 128 × 85 px and a few KB', () => {
    // A grey one, made at once (test/thumbnails.test.ts has a photo-like one, received on a channel).
    const photo = jpegImage(3000, 2000);
    const thumbnail = made(makeThumbnail(photo, 'image/jpeg'));
    expect([thumbnail.width, thumbnail.height]).toEqual([128, 85]);
    expect([thumbnail.image.width, thumbnail.image.height]).toEqual([128, 85]);
    expect(thumbnail.bytes.byteLength).toBeLessThan(10_000);
  });

  it('averages the pixels an output pixel covers (a box filter): fine stripes become their mean', () => {
    // One-pixel black and white columns: nearest-neighbour would give all black or all white.
    const stripes = paintedImage('png', 512, 256, (x) => (x % 2 ? [255, 255, 255, 255] : [0, 0, 0, 255]));
    const thumbnail = made(makeThumbnail(stripes, 'image/png'));
    expect([thumbnail.width, thumbnail.height]).toEqual([128, 64]);
    expect(near(pixel(thumbnail.image, 60, 30), [128, 128, 128], 6)).toBe(true);
  });

  it('flattens a PNG’s transparency on white', () => {
    // Left half transparent red, right half opaque blue.
    const png = paintedImage('png', 400, 200, (x) => (x < 200 ? [255, 0, 0, 0] : [0, 0, 255, 255]));
    const thumbnail = made(makeThumbnail(png, 'image/png'));
    expect([thumbnail.width, thumbnail.height]).toEqual([128, 64]);
    expect(near(pixel(thumbnail.image, 20, 32), [255, 255, 255])).toBe(true);
    expect(near(pixel(thumbnail.image, 110, 32), [0, 0, 255], 20)).toBe(true);
  });

  it('turns a JPEG upright as its EXIF orientation says', () => {
    // Stored 400 × 200, red on the left, blue on the right; orientation 6: shown turned 90° clockwise.
    const stored = paintedImage('jpeg', 400, 200, (x) => (x < 200 ? [255, 0, 0, 255] : [0, 0, 255, 255]));
    const rotated = withOrientation(stored, 6);
    expect(exifOrientation(decodeJpegImage(rotated).exifBuffer)).toBe(6);
    const thumbnail = made(makeThumbnail(rotated, 'image/jpeg'));
    expect([thumbnail.width, thumbnail.height]).toEqual([64, 128]);
    // The left of the stored picture is the top of the one shown.
    expect(near(pixel(thumbnail.image, 32, 10), [255, 0, 0], 30)).toBe(true);
    expect(near(pixel(thumbnail.image, 32, 118), [0, 0, 255], 30)).toBe(true);
    // Orientation 3 (upside down): the size stays, left and right change places.
    const upsideDown = made(makeThumbnail(withOrientation(stored, 3), 'image/jpeg'));
    expect([upsideDown.width, upsideDown.height]).toEqual([128, 64]);
    expect(near(pixel(upsideDown.image, 10, 32), [0, 0, 255], 30)).toBe(true);
  });

  it('keeps a small photo’s size (never enlarged)', () => {
    const thumbnail = made(makeThumbnail(pngImage(6, 4, [30, 160, 60]), 'image/png'));
    expect([thumbnail.width, thumbnail.height]).toEqual([6, 4]);
  });

  it('refuses what it cannot decode, other types, and too many pixels — without throwing', () => {
    expect(makeThumbnail(corruptJpeg('x'), 'image/jpeg')).toEqual({ ok: false, refused: '无法解码' });
    expect(makeThumbnail(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'image/png')).toEqual({
      ok: false,
      refused: '无法解码',
    });
    expect(makeThumbnail(new Uint8Array(100), 'image/gif')).toMatchObject({ ok: false });
    // A PNG that says it is 10,000 × 10,000 is refused by its header, before anything is inflated.
    const huge = pngImage(1, 1);
    huge.writeUInt32BE(10_000, 16);
    huge.writeUInt32BE(10_000, 20);
    const refused = makeThumbnail(huge, 'image/png');
    expect(refused).toMatchObject({ ok: false });
    expect(!refused.ok && refused.refused).toContain('分辨率过高');
    expect(THUMBNAIL_LIMITS.maxMegapixels * 1e6).toBeLessThan(10_000 * 10_000);
  });
});

describe('encodeJpeg', () => {
  it('writes a baseline JPEG any decoder reads back close to its pixels, of any size', () => {
    const source = decodeJpegImage(photoJpeg(128, 85, 3));
    const encoded = encodeJpeg(source, 80);
    const back = decodeJpegImage(encoded);
    expect([back.width, back.height]).toEqual([128, 85]);
    let error = 0;
    for (let at = 0; at < back.data.length; at += 1)
      if (at % 4 !== 3) error += Math.abs(back.data[at]! - source.data[at]!);
    expect(error / (128 * 85 * 3)).toBeLessThan(4);
    // Not a multiple of 8 (edge blocks repeat the edge), one colour kept.
    const red = paintedImage('png', 13, 7, () => [200, 30, 30, 255]);
    const small = decodeJpegImage(encodeJpeg({ width: 13, height: 7, data: PNG.sync.read(red).data }, 80));
    expect([small.width, small.height]).toEqual([13, 7]);
    expect(near(pixel(small, 12, 6), [200, 30, 30], 4)).toBe(true);
    // Quality changes the size.
    expect(encodeJpeg(source, 95).byteLength).toBeGreaterThan(encodeJpeg(source, 50).byteLength);
  });
});

describe('the thumbnail thread', () => {
  it('makes thumbnails off the calling thread, one at a time, and stops one past its time limit', async () => {
    const thumbnailer = (await createThumbnailer())!;
    try {
      const photos = [photoJpeg(800, 600, 1), photoJpeg(600, 800, 2)];
      const results = await Promise.all(photos.map((photo) => thumbnailer.make(photo, 'image/jpeg')));
      expect(results.map((result) => result?.ok && [result.width, result.height])).toEqual([
        [128, 96],
        [96, 128],
      ]);
      expect(await thumbnailer.make(corruptJpeg('y'), 'image/jpeg')).toEqual({
        ok: false,
        refused: '无法解码',
      });
    } finally {
      await thumbnailer.close();
    }
    // 20 MP take a second or more of CPU even when grey; a 6 × 4 PNG a few milliseconds.
    const hurried = (await createThumbnailer({ timeoutMs: 500 }))!;
    try {
      const stopped = await hurried.make(jpegImage(5000, 4000), 'image/jpeg');
      expect(stopped).toMatchObject({ ok: false });
      expect(!stopped?.ok && stopped?.refused).toContain('已停止');
      const next = await hurried.make(pngImage(6, 4), 'image/png');
      expect(next).toMatchObject({ ok: true, width: 6, height: 4 });
    } finally {
      await hurried.close();
    }
  });

  it('stops its thread when idle and starts one again for the next photo', async () => {
    const thumbnailer = (await createThumbnailer({ idleMs: 100 }))!;
    try {
      expect(thumbnailer.running).toBe(false);
      expect(await thumbnailer.make(pngImage(6, 4), 'image/png')).toMatchObject({ ok: true });
      expect(thumbnailer.running).toBe(true);
      for (let i = 0; i < 100 && thumbnailer.running; i++) await new Promise((r) => setTimeout(r, 20));
      expect(thumbnailer.running).toBe(false);
      expect(await thumbnailer.make(pngImage(4, 6), 'image/png')).toMatchObject({ ok: true, width: 4 });
    } finally {
      await thumbnailer.close();
    }
  });
});
