// The PNG container, checked before pngjs decodes a pixel: every chunk complete with a matching CRC,
// at least one non-empty IDAT, and the concatenated image data inflating to exactly the number of bytes
// the header implies — inflated with that number as the output limit, so a decompression bomb (a
// 2 MB file whose IDAT inflates to gigabytes, which pngjs's sync parser inflates without a limit
// when the image is interlaced) stops at the limit. Once this passes, pngjs's own inflate of the same
// stream is bounded too. Pure: bytes in, an ImageError out; decoding samples is png-luma.ts's business.
import { ImageError } from "../errors.js";

/** What the image data's size depends on (the IHDR fields). */
export interface ImageDataShape {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
  readonly interlaced: boolean;
}

/** Samples per pixel of each colour type: gray, RGB, palette index, gray+alpha, RGBA. */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Adam7's seven passes: first column, first row, column step, row step (PNG spec §8.2). */
const ADAM7: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * Bytes of filtered scanlines the header implies: per row one filter byte plus the row's packed
 * samples; for an interlaced image, summed over the Adam7 passes that hold any pixel.
 */
export function imageDataBytes(shape: ImageDataShape): number {
  const bitsPerPixel = CHANNELS[shape.colorType]! * shape.bitDepth;
  const rows = (width: number, height: number) =>
    width === 0 || height === 0 ? 0 : height * (1 + Math.ceil((width * bitsPerPixel) / 8));
  if (!shape.interlaced) return rows(shape.width, shape.height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    total += rows(Math.ceil(Math.max(0, shape.width - x0) / dx), Math.ceil(Math.max(0, shape.height - y0) / dy));
  }
  return total;
}

/**
 * Checks the chunks of a PNG (after its signature) and that its image data inflates to exactly
 * imageDataBytes(shape). Throws ImageError "NAME is a damaged or truncated PNG (why)".
 */
export function checkImageData(bytes: Uint8Array, shape: ImageDataShape, name: string): void {
  const damaged = (why: string, cause?: unknown) =>
    new ImageError(`${name} is a damaged or truncated PNG (${why})`, {
      hint: "the file is damaged or was cut short; save or copy it again",
      cause,
    });
  // node:zlib on first use: only commands that read the user's own pictures need it.
  const { crc32, inflateSync } = process.getBuiltinModule("node:zlib");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let position = 8;
  for (;;) {
    if (position + 12 > bytes.length) throw damaged("the file ends too early");
    const length = view.getUint32(position);
    const end = position + 12 + length;
    if (end > bytes.length) throw damaged("the file ends too early");
    const typeAndData = bytes.subarray(position + 4, position + 8 + length);
    if (crc32(typeAndData) >>> 0 !== view.getUint32(position + 8 + length)) {
      throw damaged("a chunk's checksum does not match its data");
    }
    const type = String.fromCharCode(...typeAndData.subarray(0, 4));
    if (type === "IDAT") {
      idat.push(typeAndData.subarray(4));
      idatBytes += length;
    }
    position = end;
    if (type === "IEND") break;
  }
  if (idat.length === 0) throw damaged("it has no image data: no IDAT chunk");
  if (idatBytes === 0) throw damaged("its image data is empty: every IDAT chunk has 0 bytes");

  const expected = imageDataBytes(shape);
  let inflated: Buffer;
  try {
    inflated = inflateSync(Buffer.concat(idat, idatBytes), { maxOutputLength: expected });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE") {
      throw damaged(`its image data inflates to more than the ${expected} bytes its header implies`, error);
    }
    if (code === "Z_BUF_ERROR") throw damaged("its compressed image data ends too early", error);
    throw damaged(`its compressed image data is corrupt: ${(error as Error).message}`, error);
  }
  if (inflated.length !== expected) {
    throw damaged(`its image data inflates to ${inflated.length} bytes; its header implies ${expected}`);
  }
}
