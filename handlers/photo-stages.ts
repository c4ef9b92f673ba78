// The words of a hazard's photos (evidence kept by the product): the stage a photo shows, how a set of
// photos is summed up where it cannot be shown, and what reading a stored photo gives.

export const PHOTO_STAGES = ['before', 'after'] as const;
export type PhotoStage = (typeof PHOTO_STAGES)[number];

export const PHOTO_STAGE_LABEL: Record<PhotoStage, string> = { before: '整改前', after: '整改后' };

/** A photo of a hazard as cards, the ledger and the photo packs see it. */
export interface PhotoRef {
  hazardId: number;
  stage: PhotoStage;
  /** The stored file; null while the photo is not (yet, or ever) kept by the product. */
  fileId: string | null;
  contentType: string | null;
  addedAt: Date;
  addedByName: string | null;
}

export interface StoredPhoto {
  bytes: Uint8Array;
  contentType: string;
}

/** Reads a stored photo of the tenant; null when there is none with this id (or not this tenant's). */
export type ReadPhoto = (tenantId: number, fileId: string) => Promise<StoredPhoto | null>;

/** `照片 3 张（整改前 2，整改后 1）` */
export function photoCountText(photos: readonly Pick<PhotoRef, 'stage'>[]): string {
  const parts = PHOTO_STAGES.map((stage) => {
    const n = photos.filter((photo) => photo.stage === stage).length;
    return n > 0 ? `${PHOTO_STAGE_LABEL[stage]} ${n}` : '';
  }).filter(Boolean);
  return `照片 ${photos.length} 张${parts.length > 0 ? `（${parts.join('，')}）` : ''}`;
}

/** The file name extension of a content type the product keeps photos as. */
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
    default:
      return 'bin';
  }
}
