// d2l's predict_ch3 picture: titles true over predicted over confidence, a wrong prediction in red.
import { describe, expect, it } from "vitest";
import { WRONG_COLOR } from "../../src/pictures/canvas.js";
import { DEFAULT_SCALE, gridPictureOrigin, itemPicture } from "../../src/pictures/grid.js";
import { type PredictionCell, predictionItem, renderPredictions } from "../../src/pictures/predictions.js";
import { countPixels, expectCellHoldsImage, isRed, patternImage } from "../helpers/grid-checks.js";
import { type DecodedRgba, decodeRgba } from "../helpers/raw-png.js";

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
