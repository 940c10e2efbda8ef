// Own images as model inputs: every colour type and bit depth to luma, fitting into 28×28 by area
// averaging with the aspect ratio kept, automatic and forced inversion, and the bad inputs that must
// fail from the header alone.
import { describe, expect, it } from "vitest";
import { ImageError } from "../../src/errors.js";
import {
  decodePngLuma,
  fitIntoSquare,
  type LumaImage,
  MAX_IMAGE_PIXELS,
  readImageInput,
  readPngHeader,
  toModelInput,
} from "../../src/io/image-input.js";
import { encodeRawPng, grayPng, pngHeaderBytes } from "../helpers/raw-png.js";

/**
 * A Fashion-MNIST-like item: a light textured blob on a black background (bytes, 28×28), as tall as
 * the frame and centred across it, as the dataset's items are.
 */
function item(): Uint8Array {
  const pixels = new Uint8Array(784);
  for (let y = 0; y < 28; y++) for (let x = 7; x < 21; x++) pixels[y * 28 + x] = 120 + ((x * 13 + y * 7) % 120);
  return pixels;
}

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

function expectImageError(run: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ImageError);
  expect((caught as Error).message).toMatch(pattern);
  expect((caught as Error).message).not.toContain("\n");
}

describe("readPngHeader: bad inputs fail before any pixel is decoded", () => {
  it("names a file that is not a PNG", () => {
    expectImageError(() => readPngHeader(Buffer.from("GIF89a not a png at all"), "cat.gif"), /^cat\.gif is not a PNG/);
    expectImageError(() => readPngHeader(new Uint8Array(0), "empty.png"), /^empty\.png is not a PNG/);
  });

  it("names a PNG cut short inside its header", () => {
    const png = grayPng(28, 28, item());
    expectImageError(() => readPngHeader(png.subarray(0, 20), "cut.png"), /^cut\.png is a truncated PNG/);
  });

  it("refuses a tiny file claiming 100000×100000 at once, without allocating", () => {
    const header = pngHeaderBytes(100_000, 100_000);
    expect(header.length).toBe(33);
    const before = process.memoryUsage().arrayBuffers;
    expectImageError(() => readImageInput(header, "bomb.png"), /^bomb\.png is 100000×100000 pixels; the largest/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1_000_000);
  });

  it.each([
    [4097, 10],
    [10, 4097],
    [4096, 3907], // 16.003 megapixels
  ])("refuses %i×%i", (width, height) => {
    expect(width * height > MAX_IMAGE_PIXELS || width > 4096 || height > 4096).toBe(true);
    expectImageError(() => readPngHeader(pngHeaderBytes(width, height), "big.png"), /^big\.png is \d+×\d+ pixels/);
  });

  it("accepts the largest allowed header", () => {
    expect(readPngHeader(pngHeaderBytes(4096, 3906), "ok.png")).toMatchObject({ width: 4096, height: 3906 });
  });

  it("refuses a zero size and an invalid colour type / bit depth pair", () => {
    expectImageError(() => readPngHeader(pngHeaderBytes(0, 5), "zero.png"), /0×5/);
    expectImageError(() => readPngHeader(pngHeaderBytes(5, 5, 2, 4), "odd.png"), /colour type 2 with bit depth 4/);
  });

  it("names a PNG truncated in its pixel data, or with a damaged chunk", () => {
    const png = grayPng(28, 28, item());
    expectImageError(
      () => readImageInput(png.subarray(0, png.length - 30), "short.png"),
      /^short\.png is a damaged or truncated PNG \(the file ends too early\)/,
    );
    const damaged = Buffer.from(png);
    damaged[45] = damaged[45]! ^ 0xff; // inside IDAT: its CRC no longer matches
    expectImageError(() => readImageInput(damaged, "crc.png"), /^crc\.png is a damaged or truncated PNG \(a chunk/);
  });
});

describe("decodePngLuma: any colour type and bit depth", () => {
  it("reads 8-bit gray exactly", () => {
    const image = decodePngLuma(grayPng(2, 1, [0, 255]), "g.png");
    expect(Array.from(image.luma)).toEqual([0, 1]);
  });

  it("keeps the full precision of 16-bit samples", () => {
    const png = encodeRawPng({ width: 3, height: 1, colorType: 0, bitDepth: 16, samples: [1000, 32768, 65535] });
    const image = decodePngLuma(png, "deep.png");
    // An 8-bit rescale would give round(1000·255/65535)/255 = 0.0157, not 0.01526.
    expect(image.luma[0]).toBeCloseTo(1000 / 65535, 6);
    expect(image.luma[1]).toBeCloseTo(32768 / 65535, 6);
    expect(image.luma[2]).toBeCloseTo(1, 6);
  });

  it("reads 16-bit RGB as luma 0.299 R + 0.587 G + 0.114 B", () => {
    const png = encodeRawPng({ width: 1, height: 1, colorType: 2, bitDepth: 16, samples: [65535, 0, 32768] });
    expect(decodePngLuma(png, "rgb16.png").luma[0]).toBeCloseTo(0.299 + 0.114 * (32768 / 65535), 6);
  });

  it("looks palette indices up (2-bit palette)", () => {
    const palette = [
      [0, 0, 0],
      [255, 0, 0],
      [0, 255, 0],
      [255, 255, 255],
    ] as const;
    const png = encodeRawPng({ width: 4, height: 1, colorType: 3, bitDepth: 2, samples: [3, 2, 1, 0], palette });
    const values = Array.from(decodePngLuma(png, "pal.png").luma);
    expect(values[0]).toBeCloseTo(1, 6);
    expect(values[1]).toBeCloseTo(0.587, 6);
    expect(values[2]).toBeCloseTo(0.299, 6);
    expect(values[3]).toBeCloseTo(0, 6);
  });

  it("reads 1-bit gray and composites transparency over white", () => {
    const bits = decodePngLuma(
      encodeRawPng({ width: 3, height: 1, colorType: 0, bitDepth: 1, samples: [1, 0, 1] }),
      "b.png",
    );
    expect(Array.from(bits.luma)).toEqual([1, 0, 1]);
    const rgba = encodeRawPng({ width: 2, height: 1, colorType: 6, bitDepth: 8, samples: [0, 0, 0, 0, 0, 0, 0, 255] });
    expect(Array.from(decodePngLuma(rgba, "a.png").luma)).toEqual([1, 0]);
    const grayAlpha = encodeRawPng({ width: 1, height: 1, colorType: 4, bitDepth: 16, samples: [0, 32768] });
    expect(decodePngLuma(grayAlpha, "ga.png").luma[0]).toBeCloseTo(1 - 32768 / 65535, 6);
  });
});

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
