// Benchmark 8 — thumbnails of photos (issue 20 §7): the CPU time of one thumbnail (handlers/thumbnail.ts:
// decode, box filter, encode) of a 2 MP and a 12 MP phone-like JPEG (median of several), and the size of
// the ledger XLSX with N hazards of two photos each, embedding the thumbnails (now) or the photos as stored
// (before: each photo up to 2 MB, 100 MB for the file). In process, no database: the workbook is written
// by handlers/ledger-export.ts from rows and readers held in memory.
import { cpuUsage } from 'node:process';
import { THUMBNAILS, writeLedgerXlsx } from '../handlers/ledger-export.ts';
import type { LedgerExportRow } from '../handlers/ledger-rows.ts';
import type { ThumbnailLookup } from '../handlers/photo-text.ts';
import { makeThumbnail } from '../handlers/thumbnail.ts';
import { photoJpeg, withComment } from '../test/helpers/images.ts';
import { round, writeResult } from './lib/common.ts';

const RUNS = 5;
const HAZARDS = 150;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** CPU milliseconds (user + system) of `work`. */
function cpuMs(work: () => void) {
  const start = cpuUsage();
  work();
  const used = cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function timeThumbnail(width: number, height: number) {
  const photo = photoJpeg(width, height);
  let bytes = 0;
  const times = Array.from({ length: RUNS }, () =>
    cpuMs(() => {
      const result = makeThumbnail(photo, 'image/jpeg');
      if (!result.ok) throw new Error(result.refused);
      bytes = result.bytes.byteLength;
    }),
  );
  process.stdout.write(`  ${width}×${height}: ${round(median(times))} ms CPU (median of ${RUNS})\n`);
  return {
    megapixels: round((width * height) / 1e6),
    photoKiB: round(photo.byteLength / 1024),
    medianCpuMs: round(median(times)),
    cpuMs: times.map(round),
    thumbnailKiB: round(bytes / 1024),
  };
}

const row = (index: number): LedgerExportRow => {
  const text = (label: string) => `${label} ${index}`;
  return {
    id: index + 1,
    code: `YH-2026-${String(index + 1).padStart(4, '0')}`,
    reportedAt: '2026-03-02 09:15',
    reporter: '陈静',
    origin: '上报',
    round: '',
    place: text('教学楼'),
    description: text('灭火器过期'),
    category: '消防安全',
    severity: '一般',
    unit: '安保处',
    status: '已销号',
    acceptedBy: '尹仙菊',
    acceptedAt: '2026-03-02 10:00',
    rectifier: '李强',
    deadline: '2026-03-09',
    interimMeasures: '',
    overdue: '否',
    measures: text('更换灭火器'),
    funds: 300,
    rectifiedAt: '2026-03-05 16:00',
    reviewedBy: '尹仙菊',
    reviewedAt: '2026-03-06 09:00',
    review: '2026-03-06 通过',
    closedAt: '2026-03-06 09:00',
    rejectReason: '',
    listed: '',
    extensions: '',
    photoCount: 2,
    photos: {
      before: { fileId: index * 2 + 1, contentType: 'image/jpeg' },
      after: { fileId: index * 2 + 2, contentType: 'image/jpeg' },
    },
    trail: text('2026-03-02 09:15 陈静 上报 → 已上报'),
  };
};

/** The ledger's size with `HAZARDS` rows of two photos of `width` × `height` each. */
async function ledgerSizes(width: number, height: number) {
  const base = photoJpeg(width, height, 3);
  const photos = new Map<number, Uint8Array>();
  for (let id = 1; id <= HAZARDS * 2; id += 1) photos.set(id, withComment(base, `photo ${id}`));
  const thumbnail = makeThumbnail(base, 'image/jpeg');
  if (!thumbnail.ok) throw new Error(thumbnail.refused);
  const rows = Array.from({ length: HAZARDS }, (_, index) => row(index));
  const meta = {
    tenantName: '稽山中学',
    from: new Date('2026-01-01T00:00:00+08:00'),
    to: new Date('2026-04-01T00:00:00+08:00'),
    generatedAt: new Date(),
    timeZone: 'Asia/Shanghai',
  };
  const read = async (_tenantId: number, fileId: number) => {
    const bytes = photos.get(fileId);
    return bytes ? { bytes, contentType: 'image/jpeg' } : null;
  };
  const kept = async (): Promise<ThumbnailLookup> => ({ kind: 'made', ...thumbnail });
  const now = await writeLedgerXlsx(rows, meta, { tenantId: 1, read, thumbnail: kept });
  // Before: the photos as stored, with the caps of then (2 MB a photo, 100 MB the file).
  const caps = THUMBNAILS as { maxTotalBytes: number };
  const cap = caps.maxTotalBytes;
  caps.maxTotalBytes = 100 * 2 ** 20;
  let before: Buffer;
  try {
    before = await writeLedgerXlsx(rows, meta, { tenantId: 1, read });
  } finally {
    caps.maxTotalBytes = cap;
  }
  const photoBytes = [...photos.values()].reduce((sum, bytes) => sum + bytes.byteLength, 0);
  // Photos of the same size: as many as fit in 100 MB were embedded, the rest counted in the footer.
  const embeddedBefore = Math.min(HAZARDS * 2, Math.floor((100 * 2 ** 20) / (base.byteLength + 16)));
  process.stdout.write(
    `  ${HAZARDS * 2} photos of ${width}×${height}: ${round(before.byteLength / 2 ** 20)} MiB before, ` +
      `${round(now.byteLength / 2 ** 20)} MiB with thumbnails\n`,
  );
  return {
    photos: HAZARDS * 2,
    photo: `${width}×${height}`,
    photoKiB: round(base.byteLength / 1024),
    photosMiB: round(photoBytes / 2 ** 20),
    beforeMiB: round(before.byteLength / 2 ** 20),
    photosEmbeddedBefore: embeddedBefore,
    withThumbnailsMiB: round(now.byteLength / 2 ** 20),
    thumbnailKiB: round(thumbnail.bytes.byteLength / 1024),
  };
}

export async function benchThumbnails() {
  const thumbnail = [timeThumbnail(1732, 1155), timeThumbnail(4000, 3000)];
  const ledger = [await ledgerSizes(1732, 1155)];
  return writeResult('thumbnails', { runs: RUNS, thumbnail, ledger });
}
