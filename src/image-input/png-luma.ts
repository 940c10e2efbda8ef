// Any PNG (any size, colour type, bit depth and interlace) decoded to luma in [0,1]. The header is
// checked before anything is decoded, so a hostile header cannot make us allocate, and the image data
// (png-image-data.ts) before pngjs inflates it, so neither can a decompression bomb or a damaged
// stream. Reads no files (the caller passes the bytes); fitting the picture to a model input is
// model-input.ts's business.
import { createRequire } from "node:module";
import type * as Pngjs from "pngjs";
import { ImageError } from "../errors.js";
import { describeNonPng } from "./file-kind.js";
import { checkImageData, type ImageDataShape } from "./png-image-data.js";

/** pngjs, loaded on first use: only commands that read the user's own images need its decoder. */
const pngjs = (): typeof Pngjs => createRequire(import.meta.url)("pngjs");

/** Largest accepted width or height. */
export const MAX_IMAGE_SIDE = 4096;
/** Largest accepted pixel count (16 megapixels, decimal). */
export const MAX_IMAGE_PIXELS = 16_000_000;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Signature, IHDR length and type, 13 bytes of IHDR data, CRC. */
const HEADER_BYTES = 8 + 8 + 13 + 4;

// Allowed bit depths per colour type (PNG spec, table 11.1).
const DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16], // grayscale
  2: [8, 16], // RGB
  3: [1, 2, 4, 8], // palette
  4: [8, 16], // grayscale + alpha
  6: [8, 16], // RGBA
};

/** The IHDR fields that matter here. */
export type PngHeader = ImageDataShape;

/**
 * Reads and checks the IHDR of a PNG without decoding pixels. Throws ImageError naming `name` when the
 * bytes are not a PNG, end inside the header, or describe an image beyond the size limits.
 */
export function readPngHeader(bytes: Uint8Array, name: string): PngHeader {
  const isPng = bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b);
  if (!isPng) {
    const { what, hint } = describeNonPng(bytes, name);
    throw new ImageError(`${name} is ${what}`, { hint });
  }
  if (bytes.length < HEADER_BYTES) {
    throw new ImageError(`${name} is a truncated PNG: ${bytes.length} bytes, shorter than a PNG header`, {
      hint: "the file is damaged or was cut short; save or copy it again",
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!);
  if (view.getUint32(8) !== 13 || type !== "IHDR") {
    throw new ImageError(`${name} is not a valid PNG: its first chunk is not a 13-byte IHDR`, {
      hint: "the file is damaged; save it again as PNG",
    });
  }
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = bytes[24]!;
  const colorType = bytes[25]!;
  const interlace = bytes[28]!;
  if (width === 0 || height === 0) {
    throw new ImageError(`${name} is not a valid PNG: its header says ${width}×${height} pixels`, {
      hint: "the file is damaged; save it again as PNG",
    });
  }
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw new ImageError(
      `${name} is ${width}×${height} pixels; the largest accepted is ${MAX_IMAGE_SIDE}×${MAX_IMAGE_SIDE} and ${MAX_IMAGE_PIXELS / 1e6} megapixels`,
      { hint: "shrink the image first; it is reduced to 28×28 anyway" },
    );
  }
  if (!DEPTHS[colorType]?.includes(bitDepth) || interlace > 1) {
    throw new ImageError(
      `${name} is not a valid PNG: colour type ${colorType} with bit depth ${bitDepth}, interlace ${interlace}`,
      { hint: "the file is damaged; save it again as PNG" },
    );
  }
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

/** A decoded picture as luma in [0,1], row-major (height, width). */
export interface LumaImage {
  readonly width: number;
  readonly height: number;
  readonly luma: Float32Array;
}

/**
 * Decodes any PNG to luma Y = 0.299 R + 0.587 G + 0.114 B (Rec. 601, as PIL's convert("L")), at the
 * file's full bit depth. Transparent pixels are composited over white, as a viewer shows them.
 */
export function decodePngLuma(bytes: Uint8Array, name: string): LumaImage {
  const header = readPngHeader(bytes, name);
  checkImageData(bytes, header, name);
  const { PNG } = pngjs();
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    // skipRescale keeps 16-bit samples at 16 bits (pngjs returns a Uint16Array then).
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { skipRescale: true });
  } catch (error) {
    throw new ImageError(`${name} is a damaged or truncated PNG (${decodeFailure(error)})`, {
      hint: "the file is damaged or was cut short; save or copy it again",
      cause: error,
    });
  }
  const { width, height } = header;
  const data = png.data as unknown as ArrayLike<number>;
  if (png.width !== width || png.height !== height || data.length < width * height * 4) {
    throw new ImageError(`${name} is a damaged PNG: decoded size does not match its header`, {
      hint: "save the image again as PNG",
    });
  }
  // Palette entries are 8-bit whatever the index depth; other samples use the file's bit depth.
  const maxSample = header.colorType === 3 ? 255 : 2 ** header.bitDepth - 1;
  const luma = new Float32Array(width * height);
  for (let p = 0; p < width * height; p++) {
    const r = data[p * 4]! / maxSample;
    const g = data[p * 4 + 1]! / maxSample;
    const b = data[p * 4 + 2]! / maxSample;
    const alpha = data[p * 4 + 3]! / maxSample;
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    luma[p] = alpha * y + (1 - alpha);
  }
  return { width, height, luma };
}

/** pngjs's error messages, in words a user can act on. */
function decodeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/waitng on finished stream|Ran out of data|unexpected end/i.test(message)) return "the file ends too early";
  if (message.startsWith("Crc error")) return "a chunk's checksum does not match its data";
  // pngjs stops reading at the first bad chunk and then reports the bytes it left unread.
  if (message.includes("unrecognised content at end of stream")) return "a chunk is corrupt";
  if (/incorrect header check|invalid (distance|block|stored|code)/i.test(message))
    return "its compressed image data is corrupt";
  return message;
}
