// The weight templates: each row of W in the diverging colour map, scaled by its largest |w|.
import { describe, expect, it } from "vitest";
import { gridPictureOrigin, gridSize, itemPicture } from "../../src/pictures/grid.js";
import { diverging, renderWeightTemplates, WEIGHT_KEY } from "../../src/pictures/weights.js";
import { decodeRgba } from "../helpers/raw-png.js";

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

  it("says under the grid what red and blue mean, with swatches of both", () => {
    const weight = new Float32Array(10 * 784).fill(0);
    const items = classes.map((name) => ({ picture: itemPicture(new Uint8Array(784)), title: [{ text: name }] }));
    const decoded = decodeRgba(renderWeightTemplates(weight, classes, { scale: 2 }));
    const gridBottom = gridSize(items, { scale: 2 }).height;
    expect(decoded.height).toBe(gridSize(items, { scale: 2, key: WEIGHT_KEY }).height);
    expect(WEIGHT_KEY.map((line) => line.text).join(" ")).toMatch(/red: .*raises.*blue: .*lowers/);
    const seen = new Set<string>();
    for (let y = gridBottom; y < decoded.height; y++) {
      for (let x = 0; x < 40; x++) seen.add(decoded.at(x, y).join(","));
    }
    for (const value of [1, -1]) expect(seen.has(diverging(value).join(","))).toBe(true);
  });

  it("rejects a weight of the wrong size", () => {
    expect(() => renderWeightTemplates(new Float32Array(784), classes)).toThrow(RangeError);
  });
});
