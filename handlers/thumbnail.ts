// A photo's thumbnail (the ledger XLSX's picture columns): a JPEG or PNG decoded in pure JavaScript
// (jpeg-js, pngjs: no native code, so it runs on the 信创 boxes' ARM64 and LoongArch), turned as its EXIF
// orientation says, scaled down with a box filter so that its long side is THUMBNAIL_LIMITS.longSide,
// transparency flattened on white, encoded as a JPEG of a few KB (handlers/jpeg-encoder.ts). Pure: bytes
// in, bytes out. Decoding a 12 MP JPEG costs seconds of CPU, so the product runs it on a thread of its own
// (bot/core/thumbnails.ts).
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { THUMBNAIL_SOURCES } from './evidence-rules.ts';
import { encodeJpeg } from './jpeg-encoder.ts';

export const THUMBNAIL_LIMITS = {
  /** The long side in pixels: the XLSX shows it at 64 px, sharp on a high-DPI screen. */
  longSide: 128,
  quality: 80,
  /**
   * Photos with more pixels are refused before their pixels are decoded (jpeg-js needs about 18 bytes a
   * pixel: 12 MP take 220 MB, 24 MP 430 MB).
   */
  maxMegapixels: 24,
  /** jpeg-js's own bound on what it allocates for one image. */
  maxMemoryMegabytes: 512,
} as const;

export type ThumbnailResult =
  | { ok: true; bytes: Uint8Array; width: number; height: number }
  /** Why none can be made of this photo: the same bytes never give one. */
  | { ok: false; refused: string };

/** RGBA pixels, row by row. */
interface Pixels {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The EXIF orientation (1–8) of a JPEG's APP1 segment as jpeg-js gives it; 1 when absent or unreadable. */
export function exifOrientation(exif: Uint8Array | undefined): number {
  if (!exif || exif.byteLength < 14) return 1;
  // jpeg-js keeps the segment after `Exif\0`: the pad byte, then the TIFF header.
  const start = exif[0] === 0 ? 1 : 0;
  const view = new DataView(exif.buffer, exif.byteOffset, exif.byteLength);
  const order = view.getUint16(start);
  if (order !== 0x4949 && order !== 0x4d4d) return 1;
  const little = order === 0x4949;
  const ifd = start + view.getUint32(start + 4, little);
  if (ifd + 2 > exif.byteLength) return 1;
  const entries = view.getUint16(ifd, little);
  for (let index = 0; index < entries; index += 1) {
    const entry = ifd + 2 + index * 12;
    if (entry + 12 > exif.byteLength) return 1;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    const value = view.getUint16(entry + 8, little);
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

/** A PNG's size from its IHDR, read before anything is inflated. */
function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.byteLength < 24) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

const tooLarge = (width: number, height: number) =>
  `分辨率过高（${width}×${height}，上限 ${THUMBNAIL_LIMITS.maxMegapixels} 百万像素）`;

function decode(bytes: Uint8Array, contentType: string): (Pixels & { orientation: number }) | string {
  if (contentType === 'image/png') {
    const size = pngSize(bytes);
    if (!size) return '无法解码';
    if (size.width * size.height > THUMBNAIL_LIMITS.maxMegapixels * 1e6)
      return tooLarge(size.width, size.height);
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: png.data, orientation: 1 };
  }
  try {
    const image = decodeJpeg(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: true,
      maxResolutionInMP: THUMBNAIL_LIMITS.maxMegapixels,
      maxMemoryUsageInMB: THUMBNAIL_LIMITS.maxMemoryMegabytes,
    });
    const exif = (image as { exifBuffer?: Uint8Array }).exifBuffer;
    return { width: image.width, height: image.height, data: image.data, orientation: exifOrientation(exif) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/maxResolutionInMP|maxMemoryUsageInMB|allocate enough memory/.test(message)) {
      return `分辨率过高（上限 ${THUMBNAIL_LIMITS.maxMegapixels} 百万像素）`;
    }
    throw error;
  }
}

/**
 * Scales `source` down with a box filter (each output pixel the mean of the source pixels its area
 * covers), its transparency flattened on white, to `width` × `height` (never larger than the source).
 */
export function boxDownscale(source: Pixels, width: number, height: number): Pixels {
  const { width: sw, height: sh, data } = source;
  // Never enlarged: with width ≤ sw every output pixel covers at least one source pixel.
  width = Math.min(width, sw);
  height = Math.min(height, sh);
  const out = new Uint8Array(width * height * 4);
  // Column boundaries, the same for every row.
  const x0 = new Int32Array(width + 1);
  for (let x = 0; x <= width; x += 1) x0[x] = Math.round((x * sw) / width);
  const sums = new Float64Array(width * 3);
  for (let y = 0; y < height; y += 1) {
    const top = Math.round((y * sh) / height);
    const bottom = Math.round(((y + 1) * sh) / height);
    sums.fill(0);
    for (let row = top; row < bottom; row += 1) {
      let at = (row * sw + x0[0]!) * 4;
      for (let x = 0; x < width; x += 1) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let column = x0[x]!; column < x0[x + 1]!; column += 1, at += 4) {
          // On white: c·α + 255·(1 − α).
          const alpha = data[at + 3]!;
          if (alpha === 255) {
            r += data[at]!;
            g += data[at + 1]!;
            b += data[at + 2]!;
          } else {
            const white = 255 - alpha;
            r += (data[at]! * alpha) / 255 + white;
            g += (data[at + 1]! * alpha) / 255 + white;
            b += (data[at + 2]! * alpha) / 255 + white;
          }
        }
        sums[x * 3] = sums[x * 3]! + r;
        sums[x * 3 + 1] = sums[x * 3 + 1]! + g;
        sums[x * 3 + 2] = sums[x * 3 + 2]! + b;
      }
    }
    for (let x = 0; x < width; x += 1) {
      const count = (bottom - top) * (x0[x + 1]! - x0[x]!);
      const o = (y * width + x) * 4;
      out[o] = Math.round(sums[x * 3]! / count);
      out[o + 1] = Math.round(sums[x * 3 + 1]! / count);
      out[o + 2] = Math.round(sums[x * 3 + 2]! / count);
      out[o + 3] = 255;
    }
  }
  return { width, height, data: out };
}

/** The pixels turned upright as EXIF `orientation` (1–8) says the stored ones are to be shown. */
export function orient(source: Pixels, orientation: number): Pixels {
  if (orientation <= 1 || orientation > 8) return source;
  const { width: w, height: h, data } = source;
  const swap = orientation >= 5;
  const width = swap ? h : w;
  const height = swap ? w : h;
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      // The stored pixel shown at (x, y).
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2:
          [sx, sy] = [w - 1 - x, y];
          break;
        case 3:
          [sx, sy] = [w - 1 - x, h - 1 - y];
          break;
        case 4:
          [sx, sy] = [x, h - 1 - y];
          break;
        case 5:
          [sx, sy] = [y, x];
          break;
        case 6:
          [sx, sy] = [y, h - 1 - x];
          break;
        case 7:
          [sx, sy] = [w - 1 - y, h - 1 - x];
          break;
        default:
          [sx, sy] = [w - 1 - y, x];
      }
      out.set(data.subarray((sy * w + sx) * 4, (sy * w + sx) * 4 + 4), (y * width + x) * 4);
    }
  }
  return { width, height, data: out };
}

/** The size whose long side is at most `longSide`, in the source's proportions (never enlarged). */
export function fitWithin(width: number, height: number, longSide: number) {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

/**
 * The thumbnail of a stored photo: a JPEG whose long side is THUMBNAIL_LIMITS.longSide (smaller photos
 * keep their size), upright, on white. A photo of another type, one that does not decode, or one with too
 * many pixels is refused with the reason.
 */
export function makeThumbnail(bytes: Uint8Array, contentType: string): ThumbnailResult {
  if (!THUMBNAIL_SOURCES.has(contentType)) return { ok: false, refused: '格式不支持缩略图' };
  let decoded: ReturnType<typeof decode>;
  try {
    decoded = decode(bytes, contentType);
  } catch {
    return { ok: false, refused: '无法解码' };
  }
  if (typeof decoded === 'string') return { ok: false, refused: decoded };
  if (decoded.width < 1 || decoded.height < 1) return { ok: false, refused: '无法解码' };
  // Scaled first (the turn is then of 128 px), in the stored orientation's proportions.
  const upright = decoded.orientation >= 5;
  const fitted = fitWithin(
    upright ? decoded.height : decoded.width,
    upright ? decoded.width : decoded.height,
    THUMBNAIL_LIMITS.longSide,
  );
  const small = boxDownscale(
    decoded,
    upright ? fitted.height : fitted.width,
    upright ? fitted.width : fitted.height,
  );
  const shown = orient(small, decoded.orientation);
  const encoded = encodeJpeg(
    { width: shown.width, height: shown.height, data: shown.data },
    THUMBNAIL_LIMITS.quality,
  );
  return { ok: true, bytes: encoded, width: shown.width, height: shown.height };
}
