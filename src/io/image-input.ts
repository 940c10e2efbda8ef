// A user's own picture as a model input: any PNG (any size, colour type and bit depth) → grayscale luma
// → cropped to the item → fitted into 28×28 by area averaging, keeping the aspect ratio and padding with
// the background → values in [0,1], inverted when the picture is dark on light (Fashion-MNIST items are
// light on black).
// The header is checked before anything is decoded, so a hostile header cannot make us allocate.
// This module reads no files (the CLI passes the bytes) and runs no model.
import { PNG } from "pngjs";
import { ImageError } from "../errors.js";
import { IMAGE_SIDE } from "../types.js";

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

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colorType: number;
  readonly interlaced: boolean;
}

/**
 * Reads and checks the IHDR of a PNG without decoding pixels. Throws ImageError naming `name` when the
 * bytes are not a PNG, end inside the header, or describe an image beyond the size limits.
 */
export function readPngHeader(bytes: Uint8Array, name: string): PngHeader {
  const isPng = bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b);
  if (!isPng) {
    throw new ImageError(`${name} is not a PNG image (no PNG signature in its first 8 bytes)`, {
      hint: "give a .png file; convert other formats first",
    });
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

export interface InputOptions {
  /** true: always invert; false: never; undefined: invert when the border is lighter than the centre. */
  readonly invert?: boolean;
  /** Crop to the item before fitting (default true), as Fashion-MNIST's own conversion trims its photos. */
  readonly trim?: boolean;
}

/** How far from the background level (in [0,1] luma) a pixel must be to count as part of the item when trimming. */
export const TRIM_THRESHOLD = 0.1;

/** A picture prepared for the model, with what was done to it. */
export interface ModelInput {
  /** (28, 28) row-major, in [0,1], light item on a dark background. */
  readonly pixels: Float32Array;
  readonly inverted: boolean;
  /** Mean luma of the picture's border, used as the padding colour (before inversion). */
  readonly background: number;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

/**
 * Fits a luma picture into 28×28 as Fashion-MNIST made its items (Xiao et al. 2017: trim, resize the
 * longest edge to 28, centre on a square canvas, negate): cropped to the item, scaled by area averaging
 * so that its longer side is 28, centred, the rest padded with the background, then inverted if dark
 * on light.
 */
export function toModelInput(image: LumaImage, options: InputOptions = {}): ModelInput {
  const { border, center } = borderAndCenterMeans(image);
  const inverted = options.invert ?? border > center;
  const item = options.trim === false ? image : trimToItem(image, border, TRIM_THRESHOLD);
  const fitted = fitIntoSquare(item, IMAGE_SIDE, border);
  if (inverted) for (let i = 0; i < fitted.length; i++) fitted[i] = 1 - fitted[i]!;
  for (let i = 0; i < fitted.length; i++) fitted[i] = Math.min(1, Math.max(0, fitted[i]!));
  return { pixels: fitted, inverted, background: border, sourceWidth: image.width, sourceHeight: image.height };
}

/** PNG bytes → model input (decodePngLuma then toModelInput). */
export function readImageInput(bytes: Uint8Array, name: string, options: InputOptions = {}): ModelInput {
  return toModelInput(decodePngLuma(bytes, name), options);
}

/**
 * Mean luma of the outer ring (1/14 of the shorter side, at least 1 pixel) and of the central half in
 * each direction: the item sits in the centre and the background touches the border.
 */
export function borderAndCenterMeans(image: LumaImage): { border: number; center: number } {
  const { width, height, luma } = image;
  const ring = Math.max(1, Math.floor(Math.min(width, height) / 14));
  let borderSum = 0;
  let borderCount = 0;
  let centerSum = 0;
  let centerCount = 0;
  const cx0 = Math.floor(width / 4);
  const cx1 = Math.max(cx0 + 1, Math.ceil((3 * width) / 4));
  const cy0 = Math.floor(height / 4);
  const cy1 = Math.max(cy0 + 1, Math.ceil((3 * height) / 4));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const value = luma[y * width + x]!;
      if (x < ring || y < ring || x >= width - ring || y >= height - ring) {
        borderSum += value;
        borderCount++;
      }
      if (x >= cx0 && x < cx1 && y >= cy0 && y < cy1) {
        centerSum += value;
        centerCount++;
      }
    }
  }
  return { border: borderSum / borderCount, center: centerSum / centerCount };
}

/**
 * Crops `image` to the bounding box of the pixels that differ from `background` by more than
 * `threshold`, so that margins around the item do not shrink it. A picture with no such pixel is
 * returned whole.
 */
export function trimToItem(image: LumaImage, background: number, threshold: number): LumaImage {
  const { width, height, luma } = image;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (Math.abs(luma[y * width + x]! - background) > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0 || (x0 === 0 && y0 === 0 && x1 === width - 1 && y1 === height - 1)) return image;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const cropped = new Float32Array(w * h); // (h, w)
  for (let y = 0; y < h; y++) cropped.set(luma.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
  return { width: w, height: h, luma: cropped };
}

/**
 * Resamples `image` into a side×side square by area averaging (each output pixel is the mean of the
 * source area it covers), the image centred on its longer side and padded with `background`.
 * Separable: rows first (height, side), then columns (side, side).
 */
export function fitIntoSquare(image: LumaImage, side: number, background: number): Float32Array {
  const { width, height, luma } = image;
  const extent = Math.max(width, height);
  const columns = axisWeights(width, extent, side);
  const rows = axisWeights(height, extent, side);

  const across = new Float64Array(height * side); // (height, side)
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < side; i++) {
      const w = columns[i]!;
      let sum = w.background * background;
      for (let k = 0; k < w.weights.length; k++) sum += w.weights[k]! * luma[y * width + w.first + k]!;
      across[y * side + i] = sum;
    }
  }
  const out = new Float32Array(side * side); // (side, side)
  for (let j = 0; j < side; j++) {
    const w = rows[j]!;
    for (let i = 0; i < side; i++) {
      let sum = w.background * background;
      for (let k = 0; k < w.weights.length; k++) sum += w.weights[k]! * across[(w.first + k) * side + i]!;
      out[j * side + i] = sum;
    }
  }
  return out;
}

interface AxisWeight {
  /** First source index with a weight. */
  readonly first: number;
  /** Weights of source indices first, first+1, ...; with `background` they sum to 1. */
  readonly weights: Float64Array;
  readonly background: number;
}

/**
 * For each of `side` output cells along one axis: which source pixels it covers and by how much.
 * The source (length `length`) is centred in a span of `extent` pixels; output cell i covers
 * [i·extent/side, (i+1)·extent/side) of that span.
 */
function axisWeights(length: number, extent: number, side: number): AxisWeight[] {
  const offset = (extent - length) / 2;
  const cell = extent / side;
  const result: AxisWeight[] = [];
  for (let i = 0; i < side; i++) {
    const start = i * cell;
    const end = (i + 1) * cell;
    const first = Math.max(0, Math.floor(start - offset));
    const last = Math.min(length - 1, Math.ceil(end - offset) - 1);
    const weights = new Float64Array(Math.max(0, last - first + 1));
    let covered = 0;
    for (let j = first; j <= last; j++) {
      const overlap = Math.min(end, offset + j + 1) - Math.max(start, offset + j);
      const weight = Math.max(0, overlap) / cell;
      weights[j - first] = weight;
      covered += weight;
    }
    result.push({ first, weights, background: Math.max(0, 1 - covered) });
  }
  return result;
}
