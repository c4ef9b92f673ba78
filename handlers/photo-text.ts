// How a hazard's photos (evidence kept by the product, handlers/evidence-rules.ts) read where they are not
// shown as images, and how the outputs (cards, the ledger, photo packs) read a stored one.
import { PHOTO_STAGES, type PhotoStage, STAGE_LABEL } from './evidence-rules.ts';

export interface StoredPhoto {
  bytes: Uint8Array;
  contentType: string;
}

/** Reads a stored file of the tenant; null when it has none with this id (the evidence store's `read`). */
export type ReadPhoto = (tenantId: number, fileId: number) => Promise<StoredPhoto | null>;

/**
 * A stored photo's thumbnail as the outputs get it (the evidence store's `thumbnail`): the JPEG made of it,
 * why none can be made (`refused`: not decodable, too many pixels), the file gone (`missing`), or none
 * kept and none made now (`none`: not asked to make it, or no thread to make it on).
 */
export type ThumbnailLookup =
  | { kind: 'made'; bytes: Uint8Array; width: number; height: number }
  | { kind: 'refused'; reason: string }
  | { kind: 'missing' }
  | { kind: 'none' };

/** The thumbnail of a stored file of the tenant; `make` when it may be made now if none is kept. */
export type ReadThumbnail = (
  tenantId: number,
  fileId: number,
  options: { make: boolean },
) => Promise<ThumbnailLookup>;

/** `照片 3 张（整改前 2，整改后 1）` */
export function photoCountText(photos: readonly { stage: PhotoStage }[]): string {
  const parts = PHOTO_STAGES.map((stage) => {
    const n = photos.filter((photo) => photo.stage === stage).length;
    return n > 0 ? `${STAGE_LABEL[stage]} ${n}` : '';
  }).filter(Boolean);
  return `照片 ${photos.length} 张${parts.length > 0 ? `（${parts.join('，')}）` : ''}`;
}

/** The file name extension of a content type photos (and a record's files) are kept as. */
export function photoExtension(contentType: string | null): string {
  switch (contentType) {
    case 'image/jpeg':
      return 'jpg';
    case 'image/png':
      return 'png';
    case 'image/gif':
      return 'gif';
    case 'image/webp':
      return 'webp';
    case 'image/bmp':
      return 'bmp';
    case 'image/tiff':
      return 'tif';
    case 'image/heic':
      return 'heic';
    // A record's files whose platform gave no name (a WeCom video).
    case 'application/pdf':
      return 'pdf';
    case 'video/mp4':
      return 'mp4';
    case 'video/quicktime':
      return 'mov';
    case 'text/plain':
      return 'txt';
    default:
      return 'bin';
  }
}
