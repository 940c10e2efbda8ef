// Checks on decoded picture grids shared by the grid, predictions and weights tests: a test image whose
// every pixel differs from its neighbours, colour predicates, and "this cell holds that image".
import { expect } from "vitest";
import type { DecodedRgba } from "./raw-png.js";

/** A 28×28 image whose every pixel differs from its neighbours, so misplaced or misscaled copies show. */
export function patternImage(seed: number): Uint8Array {
  const pixels = new Uint8Array(784);
  for (let i = 0; i < 784; i++) pixels[i] = (i * 37 + seed * 101) % 256;
  return pixels;
}

export function isRed([r, g, b]: readonly number[]): boolean {
  return r! > 150 && g! < 80 && b! < 80;
}

export function isDark([r, g, b]: readonly number[]): boolean {
  return r! < 90 && g! < 90 && b! < 90;
}

/** Counts pixels in a rectangle that satisfy `test`. */
export function countPixels(
  image: DecodedRgba,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  test: (color: [number, number, number]) => boolean,
): number {
  let count = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (test(image.at(x, y))) count++;
  return count;
}

/** Every pixel of the picture at `origin` is `pixels` upscaled `scale` times (nearest neighbour). */
export function expectCellHoldsImage(
  decoded: DecodedRgba,
  origin: { x: number; y: number },
  pixels: Uint8Array,
  scale: number,
): void {
  let mismatches = 0;
  for (let y = 0; y < 28 * scale; y++) {
    for (let x = 0; x < 28 * scale; x++) {
      const expected = pixels[Math.floor(y / scale) * 28 + Math.floor(x / scale)]!;
      const [r, g, b] = decoded.at(origin.x + x, origin.y + y);
      if (r !== expected || g !== expected || b !== expected) mismatches++;
    }
  }
  expect(mismatches).toBe(0);
}
