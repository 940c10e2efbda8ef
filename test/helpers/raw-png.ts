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
export function pngHeaderBytes(width: number, height: number, colorType = 0, bitDepth = 8): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)]);
}

/** Encodes `spec` as a PNG (filter 0 on every row, no interlace), writing samples at their bit depth. */
export function encodeRawPng(spec: RawPngSpec): Buffer {
  const channels = CHANNELS[spec.colorType];
  const bitsPerRow = spec.width * channels * spec.bitDepth;
  const rowBytes = Math.ceil(bitsPerRow / 8);
  const raw = Buffer.alloc((rowBytes + 1) * spec.height);
  for (let y = 0; y < spec.height; y++) {
    const rowStart = y * (rowBytes + 1) + 1;
    for (let i = 0; i < spec.width * channels; i++) {
      const value = spec.samples[y * spec.width * channels + i]!;
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
  }
  const parts = [pngHeaderBytes(spec.width, spec.height, spec.colorType, spec.bitDepth)];
  if (spec.palette) parts.push(chunk("PLTE", Buffer.from(spec.palette.flat())));
  parts.push(chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** An 8-bit grayscale PNG of a 28×28 Fashion-MNIST-style image (bytes 0..255). */
export function grayPng(width: number, height: number, pixels: ArrayLike<number>): Buffer {
  return encodeRawPng({ width, height, colorType: 0, bitDepth: 8, samples: pixels });
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
