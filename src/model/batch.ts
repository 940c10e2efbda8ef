// Gathering a minibatch: copies the images named by a slice of the epoch's order into one
// contiguous (B, 784) Float32Array scaled to [0, 1], and their labels into a (B) array. The
// dataset stays uint8 in memory; scaling happens here (the only place pixels are divided by 255),
// once per example per epoch. No I/O.
import type { ImageSet } from "../types.js";
import { NUM_INPUTS } from "../types.js";

/** PIXEL_SCALE[v] = v / 255 rounded to float32, so every backend scales pixels identically. */
export const PIXEL_SCALE: Float32Array = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** Pixels 0..255 → model inputs in [0,1] (a new array), exactly as training scales them. */
export function scalePixels(pixels: Uint8Array): Float32Array {
  return Float32Array.from(pixels, (v) => PIXEL_SCALE[v]!);
}

/**
 * X (B, 784) ← images[order[start + i]] / 255 and labels (B) ← their labels, for i < B.
 * `X` and `labels` may be longer than B (buffers allocated once for the largest batch).
 */
export function gatherBatch(
  X: Float32Array,
  labels: Uint8Array,
  set: ImageSet,
  order: Uint32Array,
  start: number,
  B: number,
): void {
  const images = set.images;
  for (let i = 0; i < B; i++) {
    const index = order[start + i]!;
    const source = index * NUM_INPUTS;
    const target = i * NUM_INPUTS;
    for (let k = 0; k < NUM_INPUTS; k++) X[target + k] = PIXEL_SCALE[images[source + k]!]!;
    labels[i] = set.labels[index]!;
  }
}

/** Like gatherBatch, for the consecutive examples start..start+B−1 (evaluation needs no order). */
export function gatherRange(X: Float32Array, labels: Uint8Array, set: ImageSet, start: number, B: number): void {
  const images = set.images;
  for (let i = 0; i < B; i++) {
    const source = (start + i) * NUM_INPUTS;
    const target = i * NUM_INPUTS;
    for (let k = 0; k < NUM_INPUTS; k++) X[target + k] = PIXEL_SCALE[images[source + k]!]!;
    labels[i] = set.labels[start + i]!;
  }
}
