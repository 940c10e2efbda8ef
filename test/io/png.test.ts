// PNG rendering: decode what the renderers return and check sizes, that each grid cell holds the
// input image's pixels at the right scale, that titles are drawn, that a wrong prediction is red,
// and that the same input gives the same bytes.
import { describe, expect, it } from "vitest";
import { glyphFor, glyphPixel, INK_HEIGHT, INK_WIDTH } from "../../src/io/font.js";
import {
  Canvas,
  type Color,
  DEFAULT_SCALE,
  defaultColumns,
  diverging,
  drawText,
  drawTextUp,
  encodePng,
  type GridItem,
  gridPictureOrigin,
  gridSize,
  itemPicture,
  type PredictionCell,
  predictionItem,
  renderPredictions,
  renderWeightTemplates,
  showImages,
  WRONG_COLOR,
} from "../../src/io/png.js";
import { type DecodedRgba, decodeRgba } from "../helpers/raw-png.js";

/** A 28×28 image whose every pixel differs from its neighbours, so misplaced or misscaled copies show. */
function patternImage(seed: number): Uint8Array {
  const pixels = new Uint8Array(784);
  for (let i = 0; i < 784; i++) pixels[i] = (i * 37 + seed * 101) % 256;
  return pixels;
}

function isRed([r, g, b]: readonly number[]): boolean {
  return r! > 150 && g! < 80 && b! < 80;
}

function isDark([r, g, b]: readonly number[]): boolean {
  return r! < 90 && g! < 90 && b! < 90;
}

/** Counts pixels in a rectangle that satisfy `test`. */
function countPixels(
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

function expectCellHoldsImage(
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

describe("Canvas and encodePng", () => {
  it("round-trips pixels through an 8-bit RGB PNG", () => {
    const canvas = new Canvas(7, 5);
    canvas.fillRect(1, 1, 3, 2, [10, 20, 30]);
    canvas.setPixel(6, 4, [255, 0, 128]);
    const decoded = decodeRgba(encodePng(canvas));
    expect([decoded.width, decoded.height]).toEqual([7, 5]);
    expect(decoded.at(0, 0)).toEqual([255, 255, 255]);
    expect(decoded.at(3, 2)).toEqual([10, 20, 30]);
    expect(decoded.at(4, 2)).toEqual([255, 255, 255]);
    expect(decoded.at(6, 4)).toEqual([255, 0, 128]);
  });

  it("refuses sizes that are not positive integers or too large", () => {
    expect(() => new Canvas(0, 5)).toThrow(RangeError);
    expect(() => new Canvas(2.5, 5)).toThrow(RangeError);
    expect(() => new Canvas(100_000, 100_000)).toThrow(/larger than/);
  });

  it("draws text glyph by glyph, each font pixel a scale×scale block", () => {
    const canvas = new Canvas(40, 30);
    const ink: Color = [0, 0, 0];
    drawText(canvas, "Ag", 2, 3, ink, 2);
    for (const [index, character] of ["A", "g"].entries()) {
      const glyph = glyphFor(character);
      for (let gy = 0; gy < INK_HEIGHT; gy++) {
        for (let gx = 0; gx < INK_WIDTH; gx++) {
          const want = glyphPixel(glyph, gx, gy) ? ink : [255, 255, 255];
          for (const [dx, dy] of [
            [0, 0],
            [1, 1],
          ] as const) {
            expect(canvas.getPixel(2 + index * 12 + gx * 2 + dx, 3 + gy * 2 + dy)).toEqual(want);
          }
        }
      }
    }
  });

  it("draws text turned anticlockwise for vertical labels", () => {
    const canvas = new Canvas(20, 20);
    drawTextUp(canvas, "L", 2, 15, [0, 0, 0]);
    // L's vertical stroke (column 0, rows 0..6) lies along the bottom row of the turned glyph: y = 14.
    for (let gy = 0; gy < 7; gy++) expect(canvas.getPixel(2 + gy, 14)).toEqual([0, 0, 0]);
    // Its foot (row 6, columns 0..4) runs upwards at x = 2 + 6.
    for (let gx = 0; gx < 5; gx++) expect(canvas.getPixel(8, 14 - gx)).toEqual([0, 0, 0]);
    expect(canvas.getPixel(3, 13)).toEqual([255, 255, 255]);
  });
});

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

describe("renderPredictions", () => {
  const cells: PredictionCell[] = [
    { picture: itemPicture(patternImage(1)), trueClass: "Trouser", predictedClass: "Trouser", confidence: 0.97 },
    { picture: itemPicture(patternImage(2)), trueClass: "Shirt", predictedClass: "T-shirt/top", confidence: 0.51 },
    { picture: itemPicture(patternImage(3)), label: "photo.png", predictedClass: "Bag", confidence: 0.8 },
  ];
  const items = cells.map(predictionItem);

  it("titles each image true over predicted over confidence", () => {
    expect(items[0]!.title.map((line) => line.text)).toEqual(["Trouser", "Trouser", "0.970"]);
    expect(items[2]!.title.map((line) => line.text)).toEqual(["photo.png", "Bag", "0.800"]);
  });

  it("draws a wrong prediction's title in red and the others without red", () => {
    const decoded = decodeRgba(renderPredictions(cells));
    const red = cells.map((_, index) => {
      const origin = gridPictureOrigin(items, index);
      const top = origin.y + 28 * DEFAULT_SCALE;
      return countPixels(decoded, origin.x - 8, top, origin.x + 28 * DEFAULT_SCALE + 8, decoded.height, isRed);
    });
    expect(red[0]).toBe(0);
    expect(red[1]).toBeGreaterThan(20);
    expect(red[2]).toBe(0);
    expect(decoded.at(...firstRedPixel(decoded))).toEqual([...WRONG_COLOR]);
    for (const [index, cell] of cells.entries()) {
      expectCellHoldsImage(decoded, gridPictureOrigin(items, index), cell.picture.data, DEFAULT_SCALE);
    }
  });
});

function firstRedPixel(decoded: DecodedRgba): [number, number] {
  for (let y = 0; y < decoded.height; y++)
    for (let x = 0; x < decoded.width; x++) if (isRed(decoded.at(x, y))) return [x, y];
  throw new Error("no red pixel");
}

describe("renderWeightTemplates", () => {
  const classes = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];

  it("maps each row of W to blue (negative), white (zero) and red (positive), scaled by its largest |w|", () => {
    const weight = new Float32Array(10 * 784);
    for (let c = 0; c < 10; c++) {
      weight[c * 784] = -(c + 1); // top-left pixel: the most negative value of the row
      weight[c * 784 + 1] = (c + 1) / 2; // half of the largest
      weight[c * 784 + 2] = c + 1; // the largest
    }
    const items = classes.map((name) => ({ picture: itemPicture(new Uint8Array(784)), title: [{ text: name }] }));
    const decoded = decodeRgba(renderWeightTemplates(weight, classes, { scale: 2 }));
    for (const c of [0, 9]) {
      const origin = gridPictureOrigin(items, c, { scale: 2 });
      expect(decoded.at(origin.x, origin.y)).toEqual([...diverging(-1)]);
      expect(decoded.at(origin.x + 2, origin.y)).toEqual([...diverging(0.5)]);
      expect(decoded.at(origin.x + 4, origin.y)).toEqual([...diverging(1)]);
      expect(decoded.at(origin.x + 10, origin.y + 10)).toEqual([255, 255, 255]);
    }
    const [r, , b] = diverging(1);
    expect(r).toBeGreaterThan(b);
    const [r2, , b2] = diverging(-1);
    expect(b2).toBeGreaterThan(r2);
  });

  it("rejects a weight of the wrong size", () => {
    expect(() => renderWeightTemplates(new Float32Array(784), classes)).toThrow(RangeError);
  });
});
