// Own images as model inputs: fitting into 28×28 by area averaging with the aspect ratio kept,
// automatic and forced inversion, and trimming to the item.
import { describe, expect, it } from "vitest";
import { fitIntoSquare, readImageInput, toModelInput } from "../../src/image-input/model-input.js";
import type { LumaImage } from "../../src/image-input/png-luma.js";
import { item } from "../helpers/image-input.js";
import { encodeRawPng, grayPng } from "../helpers/raw-png.js";

/** Upscales a 28×28 image k times (nearest) and writes it dark-on-light as 8-bit RGB. */
function invertedRgbPng(pixels: Uint8Array, k: number): Buffer {
  const side = 28 * k;
  const samples = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = 255 - pixels[Math.floor(y / k) * 28 + Math.floor(x / k)]!;
      samples.set([v, v, v], (y * side + x) * 3);
    }
  }
  return encodeRawPng({ width: side, height: side, colorType: 2, bitDepth: 8, samples });
}

function luma(width: number, height: number, values: ArrayLike<number>): LumaImage {
  return { width, height, luma: Float32Array.from(values) };
}

describe("fitIntoSquare: area averaging into 28×28", () => {
  it("is exact on a 28×28 image", () => {
    const values = Array.from({ length: 784 }, (_, i) => (i % 29) / 28);
    const out = fitIntoSquare(luma(28, 28, values), 28, 0);
    for (let i = 0; i < 784; i++) expect(out[i]).toBeCloseTo(values[i]!, 6);
  });

  it("averages each 2×2 block of a 56×56 checkerboard to 0.5", () => {
    const values = Array.from({ length: 56 * 56 }, (_, i) => ((i % 56) + Math.floor(i / 56)) % 2);
    const out = fitIntoSquare(luma(56, 56, values), 28, 0);
    for (const v of out) expect(v).toBeCloseTo(0.5, 6);
  });

  it("keeps the aspect ratio of a wide image and pads above and below with the background", () => {
    // 56×28: a white block at x 8..47, y 4..23 lands at x 4..23, y 7+2..7+11 after halving.
    const values = new Float32Array(56 * 28);
    for (let y = 4; y < 24; y++) for (let x = 8; x < 48; x++) values[y * 56 + x] = 1;
    const out = fitIntoSquare(luma(56, 28, values), 28, 0.25);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const inside = x >= 4 && x < 24 && y >= 9 && y < 19;
        const padding = y < 7 || y >= 21;
        expect(out[y * 28 + x], `(${x}, ${y})`).toBeCloseTo(inside ? 1 : padding ? 0.25 : 0, 6);
      }
    }
  });

  it("keeps the mean level for sizes that do not divide 28 (weights sum to 1)", () => {
    for (const [w, h] of [
      [3, 1],
      [100, 37],
      [29, 29],
      [13, 40],
    ] as const) {
      const out = fitIntoSquare(luma(w, h, new Float32Array(w * h).fill(0.3)), 28, 0.3);
      for (const v of out) expect(v).toBeCloseTo(0.3, 5);
    }
  });

  it("enlarges a small image: each pixel of a 14×14 image covers 2×2", () => {
    const values = Array.from({ length: 196 }, (_, i) => i / 195);
    const out = fitIntoSquare(luma(14, 14, values), 28, 0);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++)
        expect(out[y * 28 + x]).toBeCloseTo(values[Math.floor(y / 2) * 14 + Math.floor(x / 2)]!, 6);
    }
  });
});

describe("toModelInput and readImageInput", () => {
  it("leaves a light-on-dark 28×28 image as it is", () => {
    const pixels = item();
    const input = readImageInput(grayPng(28, 28, pixels), "item.png");
    expect(input.inverted).toBe(false);
    for (let i = 0; i < 784; i++) expect(input.pixels[i]).toBeCloseTo(pixels[i]! / 255, 6);
  });

  it("turns a dark-on-light RGB PNG 5× larger back into the original 28×28 input", () => {
    const pixels = item();
    const original = readImageInput(grayPng(28, 28, pixels), "item.png");
    const large = readImageInput(invertedRgbPng(pixels, 5), "large.png");
    expect(large.inverted).toBe(true);
    expect([large.sourceWidth, large.sourceHeight]).toEqual([140, 140]);
    let largest = 0;
    for (let i = 0; i < 784; i++) largest = Math.max(largest, Math.abs(large.pixels[i]! - original.pixels[i]!));
    expect(largest).toBeLessThan(1e-5);
  });

  it("obeys --invert and --no-invert", () => {
    const png = grayPng(28, 28, item());
    expect(readImageInput(png, "a.png", { invert: true }).pixels[0]).toBe(1);
    const dark = invertedRgbPng(item(), 1);
    const kept = readImageInput(dark, "b.png", { invert: false });
    expect(kept.inverted).toBe(false);
    expect(kept.pixels[0]).toBe(1);
  });

  it("crops margins around the item before fitting, unless trim is false", () => {
    // A 10×10 bright square in the middle of a 100×60 black picture fills the whole 28×28 input.
    const values = new Float32Array(100 * 60);
    for (let y = 25; y < 35; y++) for (let x = 45; x < 55; x++) values[y * 100 + x] = 0.9;
    const trimmed = toModelInput(luma(100, 60, values));
    for (const v of trimmed.pixels) expect(v).toBeCloseTo(0.9, 5);
    const whole = toModelInput(luma(100, 60, values), { trim: false });
    expect(whole.pixels[0]).toBe(0);
    expect(whole.pixels[14 * 28 + 14]).toBeCloseTo(0.9, 5);
    // Faint noise below the threshold does not stop the crop.
    values[0] = 0.05;
    expect(toModelInput(luma(100, 60, values)).pixels[0]).toBeCloseTo(0.9, 5);
  });

  it("pads with the border's level, so the padding matches the background after inversion", () => {
    // A 20×40 dark item on light gray (0.8): padding left and right is 0.8, inverted to 0.2.
    const values = new Float32Array(20 * 40).fill(0.8);
    for (let y = 10; y < 30; y++) for (let x = 5; x < 15; x++) values[y * 20 + x] = 0.1;
    const input = toModelInput(luma(20, 40, values));
    expect(input.inverted).toBe(true);
    expect(input.background).toBeCloseTo(0.8, 6);
    expect(input.pixels[0]).toBeCloseTo(0.2, 5);
    expect(input.pixels[14 * 28 + 14]).toBeCloseTo(0.9, 5);
  });
});
