// A baseline JPEG encoder for thumbnails (handlers/thumbnail.ts): 4:4:4, the standard quantization tables
// scaled by quality and the standard Huffman tables (ITU T.81 Annex K), a plain separable DCT. jpeg-js's
// encoder builds its tables anew at every call (about 60 ms, whatever the image); these are built once, so
// a 128 px thumbnail is encoded in a millisecond or two. Pure: RGBA pixels in, JPEG bytes out.

/** The natural (row-major) index of each coefficient in zigzag order. */
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7,
  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46,
  53, 60, 61, 54, 47, 55, 62, 63,
];
const LUMA_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_QUANT = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/** A Huffman table as T.81 gives it: how many codes of each length 1–16, then the symbols in order. */
interface HuffmanSpec {
  counts: number[];
  symbols: number[];
}
const DC_LUMA: HuffmanSpec = {
  counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
  symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};
const DC_CHROMA: HuffmanSpec = {
  counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};
const AC_LUMA: HuffmanSpec = {
  counts: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  symbols: [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22,
    0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33,
    0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34,
    0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55,
    0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76,
    0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96,
    0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5,
    0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4,
    0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1,
    0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};
const AC_CHROMA: HuffmanSpec = {
  counts: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  symbols: [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13,
    0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62,
    0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54,
    0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75,
    0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94,
    0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3,
    0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2,
    0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea,
    0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};

/** Code and length of each symbol (T.81 Annex C). */
function codesOf(spec: HuffmanSpec): { code: Uint16Array; length: Uint8Array } {
  const code = new Uint16Array(256);
  const length = new Uint8Array(256);
  let next = 0;
  let at = 0;
  for (let bits = 1; bits <= 16; bits += 1) {
    for (let index = 0; index < spec.counts[bits - 1]!; index += 1) {
      const symbol = spec.symbols[at++]!;
      code[symbol] = next++;
      length[symbol] = bits;
    }
    next <<= 1;
  }
  return { code, length };
}
const TABLES = {
  dcLuma: codesOf(DC_LUMA),
  dcChroma: codesOf(DC_CHROMA),
  acLuma: codesOf(AC_LUMA),
  acChroma: codesOf(AC_CHROMA),
};

/** cos((2x + 1)uπ/16)·C(u)/2, [u * 8 + x]. */
const COS = new Float64Array(64);
for (let u = 0; u < 8; u += 1)
  for (let x = 0; x < 8; x += 1)
    COS[u * 8 + x] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);

/** The quantization table for a quality (1–100), as libjpeg scales the standard ones. */
function scaled(table: number[], quality: number): number[] {
  const q = Math.min(100, Math.max(1, quality));
  const factor = q < 50 ? 5000 / q : 200 - q * 2;
  return table.map((value) => Math.min(255, Math.max(1, Math.floor((value * factor + 50) / 100))));
}

class BitWriter {
  bytes: number[] = [];
  private buffer = 0;
  private count = 0;
  write(code: number, length: number) {
    for (let bit = length - 1; bit >= 0; bit -= 1) {
      this.buffer = (this.buffer << 1) | ((code >> bit) & 1);
      this.count += 1;
      if (this.count === 8) {
        this.bytes.push(this.buffer);
        // A 0xFF in the scan is followed by a stuffed 0x00.
        if (this.buffer === 0xff) this.bytes.push(0);
        this.buffer = 0;
        this.count = 0;
      }
    }
  }
  /** Pads the last byte with ones. */
  flush() {
    if (this.count > 0) this.write((1 << (8 - this.count)) - 1, 8 - this.count);
  }
}

/** The bit length of |value| (its JPEG category) and the bits that carry it. */
function category(value: number): [number, number] {
  const magnitude = Math.abs(value);
  let size = 0;
  while (magnitude >> size) size += 1;
  return [size, value < 0 ? (value - 1) & ((1 << size) - 1) : value];
}

const block = new Float64Array(64);
const temp = new Float64Array(64);

/** One pass of the separable DCT along rows, written transposed: the second pass does the columns. */
function pass(source: Float64Array, target: Float64Array) {
  for (let y = 0; y < 8; y += 1)
    for (let u = 0; u < 8; u += 1) {
      let sum = 0;
      for (let x = 0; x < 8; x += 1) sum += source[y * 8 + x]! * COS[u * 8 + x]!;
      target[u * 8 + y] = sum;
    }
}

/** Forward DCT of `block` (level-shifted samples), quantized, in zigzag order. */
function transform(quant: number[], out: Int32Array) {
  pass(block, temp);
  pass(temp, block);
  for (let index = 0; index < 64; index += 1) {
    const natural = ZIGZAG[index]!;
    out[index] = Math.round(block[natural]! / quant[natural]!);
  }
}

function encodeBlock(
  writer: BitWriter,
  coefficients: Int32Array,
  previousDc: number,
  dc: ReturnType<typeof codesOf>,
  ac: ReturnType<typeof codesOf>,
) {
  const [size, bits] = category(coefficients[0]! - previousDc);
  writer.write(dc.code[size]!, dc.length[size]!);
  if (size > 0) writer.write(bits, size);
  let zeros = 0;
  for (let index = 1; index < 64; index += 1) {
    const value = coefficients[index]!;
    if (value === 0) {
      zeros += 1;
      continue;
    }
    while (zeros >= 16) {
      writer.write(ac.code[0xf0]!, ac.length[0xf0]!);
      zeros -= 16;
    }
    const [acSize, acBits] = category(value);
    const symbol = (zeros << 4) | acSize;
    writer.write(ac.code[symbol]!, ac.length[symbol]!);
    writer.write(acBits, acSize);
    zeros = 0;
  }
  if (zeros > 0) writer.write(ac.code[0]!, ac.length[0]!);
  return coefficients[0]!;
}

const segment = (marker: number, body: number[]) => [
  0xff,
  marker,
  (body.length + 2) >> 8,
  (body.length + 2) & 0xff,
  ...body,
];
const huffmanSegment = (id: number, spec: HuffmanSpec) => [id, ...spec.counts, ...spec.symbols];

/** A baseline JPEG of RGBA pixels (alpha ignored). */
export function encodeJpeg(
  image: { width: number; height: number; data: Uint8Array },
  quality: number,
): Uint8Array {
  const { width, height, data } = image;
  const luma = scaled(LUMA_QUANT, quality);
  const chroma = scaled(CHROMA_QUANT, quality);
  const writer = new BitWriter();
  const coefficients = new Int32Array(64);
  const dc = [0, 0, 0];
  for (let top = 0; top < height; top += 8) {
    for (let left = 0; left < width; left += 8) {
      for (let component = 0; component < 3; component += 1) {
        for (let y = 0; y < 8; y += 1) {
          // Past the edge, the edge's pixels again.
          const row = Math.min(top + y, height - 1);
          for (let x = 0; x < 8; x += 1) {
            const at = (row * width + Math.min(left + x, width - 1)) * 4;
            const r = data[at]!;
            const g = data[at + 1]!;
            const b = data[at + 2]!;
            block[y * 8 + x] =
              component === 0
                ? 0.299 * r + 0.587 * g + 0.114 * b - 128
                : component === 1
                  ? -0.168736 * r - 0.331264 * g + 0.5 * b
                  : 0.5 * r - 0.418688 * g - 0.081312 * b;
          }
        }
        transform(component === 0 ? luma : chroma, coefficients);
        dc[component] = encodeBlock(
          writer,
          coefficients,
          dc[component]!,
          component === 0 ? TABLES.dcLuma : TABLES.dcChroma,
          component === 0 ? TABLES.acLuma : TABLES.acChroma,
        );
      }
    }
  }
  writer.flush();
  const head = [
    0xff,
    0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, [
      0,
      ...ZIGZAG.map((natural) => luma[natural]!),
      1,
      ...ZIGZAG.map((natural) => chroma[natural]!),
    ]),
    ...segment(0xc0, [
      8,
      height >> 8,
      height & 0xff,
      width >> 8,
      width & 0xff,
      3,
      1,
      0x11,
      0,
      2,
      0x11,
      1,
      3,
      0x11,
      1,
    ]),
    ...segment(0xc4, [
      ...huffmanSegment(0x00, DC_LUMA),
      ...huffmanSegment(0x10, AC_LUMA),
      ...huffmanSegment(0x01, DC_CHROMA),
      ...huffmanSegment(0x11, AC_CHROMA),
    ]),
    ...segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]),
  ];
  const out = new Uint8Array(head.length + writer.bytes.length + 2);
  out.set(head);
  out.set(writer.bytes, head.length);
  out.set([0xff, 0xd9], head.length + writer.bytes.length);
  return out;
}
