// A user's own picture as a model input: luma (png-luma.ts) → cropped to the item → fitted into 28×28
// by area averaging, keeping the aspect ratio and padding with the background → values in [0,1],
// inverted when the picture is dark on light (Fashion-MNIST items are light on black).
// This module reads no files (the CLI passes the bytes) and runs no model.
import { IMAGE_SIDE } from "../types.js";
import { decodePngLuma, type LumaImage } from "./png-luma.js";

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
