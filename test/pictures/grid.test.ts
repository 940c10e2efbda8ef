// d2l's show_images grid: decode what the renderer returns and check sizes, that each grid cell holds
// the input image's pixels at the right scale, that titles are drawn, and that the same input gives the
// same bytes.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SCALE,
  defaultColumns,
  type GridItem,
  gridPictureOrigin,
  gridSize,
  itemPicture,
  showImages,
} from "../../src/pictures/grid.js";
import { countPixels, expectCellHoldsImage, isDark, isRed, patternImage } from "../helpers/grid-checks.js";
import { decodeRgba } from "../helpers/raw-png.js";

describe("defaultColumns", () => {
  it.each([
    [1, 1],
    [6, 6],
    [10, 10],
    [11, 6],
    [18, 9],
    [20, 10],
    [25, 9],
    [100, 10],
  ])("%i images → %i columns", (count, columns) => {
    expect(defaultColumns(count)).toBe(columns);
  });
});

describe("showImages", () => {
  const images = Array.from({ length: 18 }, (_, i) => patternImage(i));
  const titles = images.map((_, i) => ["T-shirt/top", "Trouser", "Ankle boot"][i % 3]!);
  const items: GridItem[] = images.map((pixels, i) => ({
    picture: itemPicture(pixels),
    title: [{ text: titles[i]! }],
  }));

  it("lays 18 images out in 2 rows of 9 at scale 3 by default", () => {
    const decoded = decodeRgba(showImages(images, titles));
    const size = gridSize(items);
    expect([decoded.width, decoded.height]).toEqual([size.width, size.height]);
    const second = gridPictureOrigin(items, 9);
    expect(second.x).toBe(gridPictureOrigin(items, 0).x);
    expect(second.y).toBeGreaterThan(28 * DEFAULT_SCALE);
    expect(gridPictureOrigin(items, 8).y).toBe(gridPictureOrigin(items, 0).y);
    expect(decoded.width).toBeGreaterThanOrEqual(9 * 28 * DEFAULT_SCALE);
    expect(decoded.width).toBeLessThan(10 * 28 * DEFAULT_SCALE);
  });

  it.each([1, 2, 3, 5])("puts each image's pixels in its cell at scale %i", (scale) => {
    const decoded = decodeRgba(showImages(images, titles, { scale }));
    for (const index of [0, 4, 9, 17]) {
      expectCellHoldsImage(decoded, gridPictureOrigin(items, index, { scale }), images[index]!, scale);
    }
  });

  it("draws each title in dark ink on white under its image", () => {
    const decoded = decodeRgba(showImages(images, titles, { columns: 6 }));
    for (const index of [0, 7, 17]) {
      const origin = gridPictureOrigin(items, index, { columns: 6 });
      const top = origin.y + 28 * DEFAULT_SCALE;
      const dark = countPixels(decoded, origin.x - 4, top, origin.x + 28 * DEFAULT_SCALE + 4, top + 14, isDark);
      expect(dark).toBeGreaterThan(20);
      expect(countPixels(decoded, 0, 0, decoded.width, decoded.height, isRed)).toBe(0);
    }
  });

  it("honours columns and gives the same bytes for the same input", () => {
    const a = showImages(images, titles, { columns: 4, scale: 2 });
    const b = showImages(
      images.map((image) => image.slice()),
      [...titles],
      { columns: 4, scale: 2 },
    );
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const decoded = decodeRgba(a);
    expect(decoded.height).toBe(gridSize(items, { columns: 4, scale: 2 }).height);
    expect(gridPictureOrigin(items, 4, { columns: 4, scale: 2 }).x).toBe(
      gridPictureOrigin(items, 0, { columns: 4, scale: 2 }).x,
    );
  });

  it("rejects a scale that is not a positive integer", () => {
    expect(() => showImages(images, titles, { scale: 0 })).toThrow(RangeError);
    expect(() => showImages(images, titles, { scale: 1.5 })).toThrow(RangeError);
  });
});
