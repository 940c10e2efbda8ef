// PNG decoding for own images: every colour type and bit depth to luma, and the bad inputs that must
// fail from the header alone.
import { describe, expect, it } from "vitest";
import { readImageInput } from "../../src/image-input/model-input.js";
import { decodePngLuma, MAX_IMAGE_PIXELS, readPngHeader } from "../../src/image-input/png-luma.js";
import { expectImageError, item } from "../helpers/image-input.js";
import { encodeRawPng, grayPng, pngHeaderBytes } from "../helpers/raw-png.js";

describe("readPngHeader: bad inputs fail before any pixel is decoded", () => {
  it("names a file that is not a PNG", () => {
    expectImageError(
      () => readPngHeader(Buffer.from("just some text\n"), "notes.png"),
      /^notes\.png is not a PNG image/,
    );
  });

  it.each([
    ["empty.png", [], /^empty\.png is empty/],
    [
      "photo.jpg",
      [0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70],
      /^photo\.jpg is a JPEG image, not a PNG \(convert it: magick photo\.jpg photo\.png\)$/,
    ],
    ["cat.gif", [...Buffer.from("GIF89a\x01\x00\x01\x00")], /^cat\.gif is a GIF image, not a PNG \(convert it: /],
    ["a.webp", [...Buffer.from("RIFF\x10\x00\x00\x00WEBPVP8 ")], /^a\.webp is a WebP image, not a PNG/],
    ["scan.tif", [0x49, 0x49, 42, 0, 8, 0, 0, 0], /^scan\.tif is a TIFF image, not a PNG/],
    ["phone.heic", [0, 0, 0, 24, ...Buffer.from("ftypheic")], /^phone\.heic is a HEIC\/AVIF image, not a PNG/],
    ["doc.pdf", [...Buffer.from("%PDF-1.7\n")], /^doc\.pdf is a PDF document, not a PNG image \(give a \.png file\)$/],
  ])("says what %s is when it is not a PNG", (name, bytes, pattern) => {
    expectImageError(() => readImageInput(Uint8Array.from(bytes), name), pattern);
  });

  it("tells a JPEG piped to stdin to convert in the pipe", () => {
    expectImageError(
      () => readImageInput(Uint8Array.from([0xff, 0xd8, 0xff, 0xdb]), "stdin"),
      /convert it: magick - png:- \| softmax predict -\)$/,
    );
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
