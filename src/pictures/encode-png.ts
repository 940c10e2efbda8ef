// PNG encoding of a canvas with pngjs: the one place pictures become bytes, and the check that a
// path is a fit name for them. Pure (same canvas, same bytes); writing the file is the caller's job.
import { createRequire } from "node:module";
import { extname } from "node:path";
import type * as Pngjs from "pngjs";
import type { Canvas } from "./canvas.js";

/** pngjs, loaded on first use: `softmax train` without --plot draws nothing and skips its start-up cost. */
const pngjs = (): typeof Pngjs => createRequire(import.meta.url)("pngjs");

/** Encodes a canvas as an 8-bit RGB PNG. Deterministic: zlib at a fixed level with a fixed filter. */
export function encodePng(canvas: Canvas): Uint8Array {
  const { PNG } = pngjs();
  const png = new PNG({ width: canvas.width, height: canvas.height, inputHasAlpha: false, colorType: 2 });
  png.data = Buffer.from(canvas.data.buffer, canvas.data.byteOffset, canvas.data.byteLength);
  const bytes = PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 9 });
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Why `path` is no place for a picture, or undefined when it is: the bytes are PNG, so a name ending in
 * another extension (p.jpg) would mislead every viewer. A path without an extension is fine: a device
 * such as /dev/stdout, or a pipe.
 */
export function picturePathProblem(path: string): string | undefined {
  if (path === "") return "the file name is empty";
  const extension = extname(path);
  if (extension === "" || extension.toLowerCase() === ".png") return undefined;
  return `${path} ends in ${extension}, but pictures are written as PNG (name it ${path.slice(0, -extension.length)}.png)`;
}
