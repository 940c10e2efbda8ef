// Test fixtures for PNG code: a minimal PNG writer that can produce any colour type and bit depth
// (and broken files), and a decoder returning RGBA bytes for checking rendered pictures.
import { crc32, deflateSync } from "node:zlib";
import { PNG } from "pngjs";

export interface RawPngSpec {
  width: number;
  height: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Samples row-major, `channels` per pixel, each 0..2^bitDepth-1 (palette: indices). */
  samples: ArrayLike<number>;
  /** RGB triples for colour type 3. */
  palette?: readonly (readonly [number, number, number])[];
  /** Adam7 interlacing (default: none). */
  interlaced?: boolean;
  /** The IDAT chunks' data as written, in place of the deflated samples (to build damaged files). */
  idat?: readonly Uint8Array[];
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

function chunk(type: string, data: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(data.length, 0);
  header.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "latin1"), data])) >>> 0, 0);
  return Buffer.concat([header, data, crc]);
}

/** The IHDR chunk alone, after the signature: enough for a header-only file. */
export function pngHeaderBytes(width: number, height: number, colorType = 0, bitDepth = 8, interlaced = false): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  ihdr[12] = interlaced ? 1 : 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)]);
}

/** Adam7's passes: first column, first row, column step, row step (written out again here, independently). */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Filter-0 scanlines of the pixels (xs × ys) picked from `spec`, samples packed at their bit depth. */
function scanlines(spec: RawPngSpec, xs: readonly number[], ys: readonly number[]): Buffer {
  if (xs.length === 0 || ys.length === 0) return Buffer.alloc(0);
  const channels = CHANNELS[spec.colorType];
  const rowBytes = Math.ceil((xs.length * channels * spec.bitDepth) / 8);
  const raw = Buffer.alloc((rowBytes + 1) * ys.length);
  ys.forEach((y, row) => {
    const rowStart = row * (rowBytes + 1) + 1;
    xs.forEach((x, column) => {
      for (let c = 0; c < channels; c++) {
        const value = spec.samples[(y * spec.width + x) * channels + c]!;
        const i = column * channels + c;
        if (spec.bitDepth === 16) {
          raw.writeUInt16BE(value, rowStart + i * 2);
        } else if (spec.bitDepth === 8) {
          raw[rowStart + i] = value;
        } else {
          const bit = i * spec.bitDepth;
          const byte = rowStart + (bit >> 3);
          const shift = 8 - spec.bitDepth - (bit & 7);
          raw[byte] = raw[byte]! | (value << shift);
        }
      }
    });
  });
  return raw;
}

const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.max(0, Math.ceil((to - from) / step)) }, (_, i) => from + i * step);

/** The filtered image data of `spec` before deflate: all rows, or the seven Adam7 passes in order. */
export function rawImageData(spec: RawPngSpec): Buffer {
  if (!spec.interlaced) return scanlines(spec, range(0, spec.width, 1), range(0, spec.height, 1));
  return Buffer.concat(
    ADAM7.map(([x0, y0, dx, dy]) => scanlines(spec, range(x0, spec.width, dx), range(y0, spec.height, dy))),
  );
}

/** Encodes `spec` as a PNG (filter 0 on every row), writing samples at their bit depth. */
export function encodeRawPng(spec: RawPngSpec): Buffer {
  const parts = [pngHeaderBytes(spec.width, spec.height, spec.colorType, spec.bitDepth, spec.interlaced)];
  if (spec.palette) parts.push(chunk("PLTE", Buffer.from(spec.palette.flat())));
  for (const data of spec.idat ?? [deflateSync(rawImageData(spec))]) parts.push(chunk("IDAT", data));
  parts.push(chunk("IEND", new Uint8Array(0)));
  return Buffer.concat(parts);
}

/**
 * A decompression bomb: a 1×1 interlaced 8-bit gray PNG, whose header implies 2 bytes of image data
 * (one filter byte and one sample, in Adam7's first pass), with an IDAT that inflates to
 * `inflatedBytes` zeros. Zeros deflate about 1000:1, so the file stays small whatever it claims.
 */
export function pngBomb(inflatedBytes: number): Buffer {
  return encodeRawPng({
    width: 1,
    height: 1,
    colorType: 0,
    bitDepth: 8,
    samples: [0],
    interlaced: true,
    idat: [deflateSync(Buffer.alloc(inflatedBytes))],
  });
}

/** An 8-bit grayscale PNG of a 28×28 Fashion-MNIST-style image (bytes 0..255). */
export function grayPng(width: number, height: number, pixels: ArrayLike<number>): Buffer {
  return encodeRawPng({ width, height, colorType: 0, bitDepth: 8, samples: pixels });
}

/**
 * The chunk types of `bytes` read as one PNG: the signature, then length-type-data-CRC chunks up to
 * IEND. Throws when the bytes are not exactly that (anything before, inside or after the image).
 */
export function pngChunkTypes(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!buffer.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    throw new Error(`no PNG signature: starts with ${JSON.stringify(buffer.subarray(0, 16).toString("latin1"))}`);
  }
  const types: string[] = [];
  let offset = 8;
  while (types.at(-1) !== "IEND") {
    if (offset + 12 > buffer.length) throw new Error(`the PNG stops inside a chunk at byte ${offset}`);
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString("latin1", offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (end > buffer.length) throw new Error(`chunk ${type} at byte ${offset} runs past the end`);
    const crc = crc32(buffer.subarray(offset + 4, end - 4)) >>> 0;
    if (crc !== buffer.readUInt32BE(end - 4)) throw new Error(`chunk ${type} at byte ${offset} has a bad CRC`);
    types.push(type);
    offset = end;
  }
  if (offset !== buffer.length) {
    const after = buffer.toString("latin1", offset, Math.min(buffer.length, offset + 40));
    throw new Error(`${buffer.length - offset} bytes after IEND: ${JSON.stringify(after)}`);
  }
  return types;
}

export interface DecodedRgba {
  width: number;
  height: number;
  data: Buffer;
  /** [r, g, b] at (x, y). */
  at(x: number, y: number): [number, number, number];
}

/** Decodes PNG bytes (as the renderers return them) to 8-bit RGBA. */
export function decodeRgba(bytes: Uint8Array): DecodedRgba {
  const png = PNG.sync.read(Buffer.from(bytes));
  return {
    width: png.width,
    height: png.height,
    data: png.data,
    at(x, y) {
      const i = (y * png.width + x) * 4;
      return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    },
  };
}
