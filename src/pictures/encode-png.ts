// PNG encoding of a canvas with pngjs: the one place pictures become bytes. Pure (same canvas, same
// bytes); writing the file is the caller's job.
import { PNG } from "pngjs";
import type { Canvas } from "./canvas.js";

/** Encodes a canvas as an 8-bit RGB PNG. Deterministic: zlib at a fixed level with a fixed filter. */
export function encodePng(canvas: Canvas): Uint8Array {
  const png = new PNG({ width: canvas.width, height: canvas.height, inputHasAlpha: false, colorType: 2 });
  png.data = Buffer.from(canvas.data.buffer, canvas.data.byteOffset, canvas.data.byteLength);
  const bytes = PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 9 });
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
