// The confusion heatmap: decode the picture and check that cells are shaded by their row's fraction
// (the diagonal in blues, the confusions in oranges relative to the largest one),
// that counts and class names are drawn, and that nested and flat matrices give the same bytes.
import { describe, expect, it } from "vitest";
import { blues, oranges, renderConfusionHeatmap } from "../../src/pictures/heatmap.js";
import { CLASS_NAMES } from "../helpers/pictures-cli.js";
import { decodeRgba } from "../helpers/raw-png.js";

const CLASSES = CLASS_NAMES;

/** 1000 per class: 800 right, the rest spread over two neighbours. */
function matrix(): number[][] {
  return CLASSES.map((_, i) =>
    CLASSES.map((_, j) => (i === j ? 800 : j === (i + 1) % 10 ? 150 : j === (i + 2) % 10 ? 50 : 0)),
  );
}

function count(decoded: ReturnType<typeof decodeRgba>, color: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < decoded.width * decoded.height; i++) {
    if (
      decoded.data[i * 4] === color[0] &&
      decoded.data[i * 4 + 1] === color[1] &&
      decoded.data[i * 4 + 2] === color[2]
    )
      n++;
  }
  return n;
}

describe("renderConfusionHeatmap", () => {
  it("shades the diagonal by its fraction of the row, and the confusions relative to the largest one", () => {
    const decoded = decodeRgba(renderConfusionHeatmap(matrix(), CLASSES, { scale: 1 }));
    // Cells are 36×20 at scale 1; the counts' ink takes some of each cell's pixels.
    expect(count(decoded, blues(0.8))).toBeGreaterThan(10 * 500);
    // 150 of 1000 is the largest confusion: the darkest orange; 50 of 1000 a third of it.
    expect(count(decoded, oranges(1))).toBeGreaterThan(10 * 500);
    expect(count(decoded, oranges(50 / 150))).toBeGreaterThan(10 * 500);
    expect(count(decoded, oranges(0))).toBeGreaterThan(70 * 500);
    const [r8] = blues(0.8);
    const [r1] = blues(0.15);
    expect(r8).toBeLessThan(r1);
  });

  it("makes the big confusions stand out next to a diagonal of 0.9 (Pullover → Coat)", () => {
    const rows: number[][] = CLASSES.map((_, i) => CLASSES.map((_, j) => (i === j ? 900 : 0)));
    rows[2]![2] = 843;
    rows[2]![4] = 143; // Pullover → Coat
    rows[6]![0] = 14;
    const decoded = decodeRgba(renderConfusionHeatmap(rows, CLASSES, { scale: 1 }));
    // On the diagonal's scale 143/986 would be a pale blue; on its own scale it is the darkest orange.
    expect(count(decoded, oranges(1))).toBeGreaterThan(500);
    expect(count(decoded, oranges(14 / 914 / (143 / 986)))).toBeGreaterThan(500);
    const [red, green, blue] = oranges(1);
    expect(red + green + blue).toBeLessThan(3 * 128);
  });

  it("draws a key naming the largest confusion under the matrix", () => {
    const keyed = decodeRgba(renderConfusionHeatmap(matrix(), CLASSES, { scale: 1 }));
    // Swatches of both ramps at the bottom left, below the "predicted" axis title.
    const bottom = keyed.height - 8 - 2 * 10;
    let blue = 0;
    let orange = 0;
    for (let y = bottom; y < keyed.height; y++) {
      for (let x = 0; x < 40; x++) {
        const [r, , b] = keyed.at(x, y);
        if (b > r + 40) blue++;
        if (r > b + 40) orange++;
      }
    }
    expect(blue).toBeGreaterThan(50);
    expect(orange).toBeGreaterThan(50);
  });

  it("writes counts in the cells (white on dark cells) and names classes on both axes", () => {
    const decoded = decodeRgba(renderConfusionHeatmap(matrix(), CLASSES, { scale: 1 }));
    // "800" in white on ten dark diagonal cells.
    expect(count(decoded, [255, 255, 255])).toBeGreaterThan(0);
    let whiteInsideDark = 0;
    const dark = blues(0.8);
    for (let y = 1; y < decoded.height - 1; y++) {
      for (let x = 1; x < decoded.width - 1; x++) {
        const [r, g, b] = decoded.at(x, y);
        if (r === 255 && g === 255 && b === 255) {
          const left = decoded.at(x - 1, y);
          if (left[0] === dark[0] && left[1] === dark[1] && left[2] === dark[2]) whiteInsideDark++;
        }
      }
    }
    expect(whiteInsideDark).toBeGreaterThan(10 * 5);
    // Row labels lie left of the grid, column labels below it: dark ink in both places.
    let leftInk = 0;
    let bottomInk = 0;
    const gridLeft = decoded.width - 10 * 36 - 8;
    for (let y = 0; y < decoded.height; y++) {
      for (let x = 0; x < decoded.width; x++) {
        const [r] = decoded.at(x, y);
        if (r > 64) continue;
        if (x < gridLeft && y > 24 && y < 24 + 200) leftInk++;
        if (x >= gridLeft && y > 24 + 200 + 2) bottomInk++;
      }
    }
    expect(leftInk).toBeGreaterThan(200);
    expect(bottomInk).toBeGreaterThan(200);
  });

  it("takes a flat row-major Uint32Array as well as nested rows, with the same bytes", () => {
    const nested = matrix();
    const flat = Uint32Array.from(nested.flat());
    expect(
      Buffer.from(renderConfusionHeatmap(flat, CLASSES)).equals(Buffer.from(renderConfusionHeatmap(nested, CLASSES))),
    ).toBe(true);
  });

  it("scales by an integer (default 2)", () => {
    const one = decodeRgba(renderConfusionHeatmap(matrix(), CLASSES, { scale: 1 }));
    const two = decodeRgba(renderConfusionHeatmap(matrix(), CLASSES));
    expect([two.width, two.height]).toEqual([one.width * 2, one.height * 2]);
  });

  it("rejects a matrix that does not match the classes", () => {
    expect(() => renderConfusionHeatmap(new Uint32Array(99), CLASSES)).toThrow(RangeError);
    expect(() => renderConfusionHeatmap(matrix().slice(1), CLASSES)).toThrow(RangeError);
    expect(() =>
      renderConfusionHeatmap(
        [
          [1, -1],
          [0, 1],
        ],
        ["a", "b"],
      ),
    ).toThrow(RangeError);
  });

  it("handles an empty row and an all-zero matrix", () => {
    const zeros = CLASSES.map(() => CLASSES.map(() => 0));
    expect(decodeRgba(renderConfusionHeatmap(zeros, CLASSES)).width).toBeGreaterThan(0);
  });
});
