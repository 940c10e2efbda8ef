// d2l's predict_ch3 picture: titles true over predicted over confidence, a wrong prediction in red.
import { describe, expect, it } from "vitest";
import { WRONG_COLOR } from "../../src/pictures/canvas.js";
import { DEFAULT_SCALE, gridPictureOrigin, gridSize, itemPicture } from "../../src/pictures/grid.js";
import {
  type PredictionCell,
  predictionItem,
  predictionKey,
  renderPredictions,
} from "../../src/pictures/predictions.js";
import { countPixels, expectCellHoldsImage, isRed, patternImage } from "../helpers/grid-checks.js";
import { type DecodedRgba, decodeRgba } from "../helpers/raw-png.js";

const cells: PredictionCell[] = [
  { picture: itemPicture(patternImage(1)), trueClass: "Trouser", predictedClass: "Trouser", confidence: 0.97 },
  { picture: itemPicture(patternImage(2)), trueClass: "Shirt", predictedClass: "T-shirt/top", confidence: 0.51 },
  { picture: itemPicture(patternImage(3)), label: "photo.png", predictedClass: "Bag", confidence: 0.8 },
];
const items = cells.map(predictionItem);

describe("renderPredictions", () => {
  it("titles each image true over predicted over confidence", () => {
    expect(items[0]!.title.map((line) => line.text)).toEqual(["Trouser", "Trouser", "0.970"]);
    expect(items[2]!.title.map((line) => line.text)).toEqual(["photo.png", "Bag", "0.800"]);
  });

  it("draws a wrong prediction's title in red and the others without red", () => {
    const decoded = decodeRgba(renderPredictions(cells));
    // The titles end where the key under the grid begins.
    const bottom = gridSize(items).height;
    const red = cells.map((_, index) => {
      const origin = gridPictureOrigin(items, index);
      const top = origin.y + 28 * DEFAULT_SCALE;
      return countPixels(decoded, origin.x - 8, top, origin.x + 28 * DEFAULT_SCALE + 8, bottom, isRed);
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

describe("the titles and key of a predictions grid", () => {
  const own: PredictionCell = {
    picture: itemPicture(patternImage(4)),
    label: "holiday/2024/a-very-long-name-for-a-photo.png",
    predictedClass: "Bag",
    confidence: 0.5,
  };

  it("titles an own image by its base name, shortened from the end", () => {
    const [first] = predictionItem(own).title;
    expect(first).toMatchObject({ text: "a-very-long-name-for-a-photo.png", shorten: "end" });
    // Drawn: at scale 3 a cell holds 14 characters of the title, "a-very-long-.." (the start of the name).
    const decoded = decodeRgba(renderPredictions([own]));
    const named = decodeRgba(renderPredictions([{ ...own, label: "a-very-long-.." }]));
    const origin = gridPictureOrigin([predictionItem(own)], 0);
    const titleTop = origin.y + 28 * DEFAULT_SCALE;
    for (let y = titleTop; y < titleTop + 10; y++) {
      for (let x = 0; x < decoded.width; x++) expect(decoded.at(x, y)).toEqual(named.at(x, y));
    }
  });

  it("says under the grid which title line is which, and what red means when there are true classes", () => {
    const dataset = decodeRgba(renderPredictions(cells));
    const files = decodeRgba(renderPredictions([own]));
    expect(dataset.height).toBe(gridSize(items).height + 3 + 2 * 10 + 4);
    expect(files.height).toBe(gridSize([predictionItem(own)]).height + 3 + 10 + 4);
    expect(predictionKey(cells.slice(0, 2)).map((line) => line.text)).toEqual([
      "top: true class; middle: predicted class; bottom: confidence",
      "red: predicted wrong",
    ]);
    expect(predictionKey(cells)[0]!.text).toBe(
      "top: true class or file name; middle: predicted class; bottom: confidence",
    );
    expect(predictionKey([own]).map((line) => line.text)).toEqual([
      "top: file name; middle: predicted class; bottom: confidence",
    ]);
    // The key's red line is drawn in the wrong-prediction colour, under the titles.
    expect(countPixels(dataset, 0, gridSize(items).height, dataset.width, dataset.height, isRed)).toBeGreaterThan(20);
  });
});

function firstRedPixel(decoded: DecodedRgba): [number, number] {
  for (let y = 0; y < decoded.height; y++)
    for (let x = 0; x < decoded.width; x++) if (isRed(decoded.at(x, y))) return [x, y];
  throw new Error("no red pixel");
}
