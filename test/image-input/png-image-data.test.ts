// The PNG container check: the image data must inflate to exactly what the header implies, for every
// colour type, bit depth and interlace mode; decompression bombs stop at that size without inflating;
// damaged files (no IDAT, empty IDAT, a stream that stops short, one that does not inflate) are refused.
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { imageDataBytes } from "../../src/image-input/png-image-data.js";
import { decodePngLuma } from "../../src/image-input/png-luma.js";
import { expectImageError, item } from "../helpers/image-input.js";
import { encodeRawPng, grayPng, pngBomb, type RawPngSpec, rawImageData } from "../helpers/raw-png.js";

const FORMATS = [
  { colorType: 0, bitDepth: 1 },
  { colorType: 0, bitDepth: 2 },
  { colorType: 0, bitDepth: 4 },
  { colorType: 0, bitDepth: 8 },
  { colorType: 0, bitDepth: 16 },
  { colorType: 2, bitDepth: 8 },
  { colorType: 2, bitDepth: 16 },
  { colorType: 3, bitDepth: 1 },
  { colorType: 3, bitDepth: 2 },
  { colorType: 3, bitDepth: 4 },
  { colorType: 3, bitDepth: 8 },
  { colorType: 4, bitDepth: 8 },
  { colorType: 4, bitDepth: 16 },
  { colorType: 6, bitDepth: 8 },
  { colorType: 6, bitDepth: 16 },
] as const;
const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

/** A test image of the given format whose samples vary from pixel to pixel, with a 4-entry palette where needed. */
function spec(format: (typeof FORMATS)[number], width: number, height: number, interlaced: boolean): RawPngSpec {
  const channels = CHANNELS[format.colorType];
  const top = format.colorType === 3 ? Math.min(3, 2 ** format.bitDepth - 1) : 2 ** format.bitDepth - 1;
  const samples = Array.from({ length: width * height * channels }, (_, i) => (i * 7919) % (top + 1));
  const palette: [number, number, number][] = [
    [0, 0, 0],
    [255, 255, 255],
    [200, 30, 30],
    [30, 30, 200],
  ];
  return { ...format, width, height, interlaced, samples, ...(format.colorType === 3 ? { palette } : {}) };
}

describe("imageDataBytes: the filtered size the header implies", () => {
  it("is one filter byte plus the packed samples per row (28×28 gray: 28 × 29 = 812)", () => {
    expect(imageDataBytes({ width: 28, height: 28, bitDepth: 8, colorType: 0, interlaced: false })).toBe(812);
    // 1-bit rows of 10 pixels take 2 bytes: 3 rows × (1 + 2).
    expect(imageDataBytes({ width: 10, height: 3, bitDepth: 1, colorType: 0, interlaced: false })).toBe(9);
  });

  it("sums the Adam7 passes that hold pixels (1×1: only the first pass, 1 + 1 bytes)", () => {
    expect(imageDataBytes({ width: 1, height: 1, bitDepth: 8, colorType: 0, interlaced: true })).toBe(2);
    // 8×8 RGBA 16-bit: each pixel 8 bytes; passes are 1×1, 1×1, 2×1, 2×2, 4×2, 4×4, 8×4 → 15 rows + 64 pixels.
    expect(imageDataBytes({ width: 8, height: 8, bitDepth: 16, colorType: 6, interlaced: true })).toBe(15 + 64 * 8);
  });

  it.each(FORMATS)("matches an independent encoder for colour type $colorType, depth $bitDepth", (format) => {
    for (const interlaced of [false, true]) {
      for (const [width, height] of [
        [1, 1],
        [3, 2],
        [5, 9],
        [13, 7],
      ] as const) {
        const expected = rawImageData(spec(format, width, height, interlaced)).length;
        expect(imageDataBytes({ ...format, width, height, interlaced })).toBe(expected);
      }
    }
  });
});

describe("interlaced PNGs decode as their plain twins", () => {
  it.each(FORMATS)("colour type $colorType, depth $bitDepth", (format) => {
    const plain = decodePngLuma(encodeRawPng(spec(format, 13, 11, false)), "plain.png");
    const interlaced = decodePngLuma(encodeRawPng(spec(format, 13, 11, true)), "interlaced.png");
    expect(Array.from(interlaced.luma)).toEqual(Array.from(plain.luma));
  });
});

describe("decompression bombs stop at the size the header implies", () => {
  it("refuses a 1×1 interlaced image whose IDAT inflates to 64 MB, without inflating it", () => {
    const bomb = pngBomb(64 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(100_000);
    const before = process.memoryUsage().arrayBuffers;
    expectImageError(
      () => decodePngLuma(bomb, "bomb.png"),
      /^bomb\.png is a damaged or truncated PNG \(its image data inflates to more than the 2 bytes its header implies\)/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it("refuses a plain image with more rows of data than its header has", () => {
    const extra = deflateSync(Buffer.alloc(29 * 29));
    expectImageError(
      () => decodePngLuma(encodeRawPng({ ...spec(FORMATS[3], 28, 28, false), idat: [extra] }), "extra.png"),
      /more than the 812 bytes its header implies/,
    );
  });
});

describe("damaged PNGs are refused, naming the file and what is wrong", () => {
  const good: RawPngSpec = { width: 28, height: 28, colorType: 0, bitDepth: 8, samples: item() };
  const filtered = rawImageData(good);

  it.each([
    ["no IDAT chunk", [], /no image data: no IDAT chunk/],
    ["an empty IDAT", [new Uint8Array(0)], /image data is empty/],
    [
      "a stream that stops short (14 of 28 rows)",
      [deflateSync(filtered.subarray(0, 14 * 29))],
      /inflates to 406 bytes; its header implies 812/,
    ],
    ["a stream cut off mid-way", [deflateSync(filtered).subarray(0, 40)], /compressed image data ends too early/],
    [
      "a stream that does not inflate",
      [Buffer.from([0x78, 0x9c, 0xff, 0xff, 0xff, 0xff])],
      /compressed image data is corrupt: invalid block type/,
    ],
  ] as const)("%s", (_, idat, pattern) => {
    expectImageError(
      () => decodePngLuma(encodeRawPng({ ...good, idat }), "damaged.png"),
      new RegExp(`^damaged\\.png is a damaged or truncated PNG \\(.*${pattern.source}`),
    );
  });

  it("accepts the image data split over several IDAT chunks", () => {
    const stream = deflateSync(filtered);
    const split = [stream.subarray(0, 10), stream.subarray(10, 11), stream.subarray(11)];
    const image = decodePngLuma(encodeRawPng({ ...good, idat: split }), "split.png");
    expect(Array.from(image.luma)).toEqual(Array.from(decodePngLuma(grayPng(28, 28, item()), "whole.png").luma));
  });
});
