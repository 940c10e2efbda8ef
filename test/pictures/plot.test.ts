// Training curves (d2l's Animator as a PNG): decode the picture and check its size, that each series
// is drawn in its colour, the axes and labels are there, and the same history gives the same bytes.
import { describe, expect, it } from "vitest";
import {
  type EpochPoint,
  epochAxis,
  formatTick,
  niceStep,
  renderTrainingCurves,
  valueAxis,
} from "../../src/pictures/plot.js";
import { type DecodedRgba, decodeRgba } from "../helpers/raw-png.js";

const SERIES_COLORS = {
  trainLoss: [31, 119, 180],
  trainAcc: [191, 0, 191],
  testAcc: [0, 128, 0],
} as const;

function history(epochs: number): EpochPoint[] {
  return Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1,
    trainLoss: 0.45 + 0.35 / (i + 1),
    trainAcc: 0.86 - 0.1 / (i + 1),
    testAcc: 0.84 - 0.05 / (i + 1),
  }));
}

function count(decoded: DecodedRgba, color: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < decoded.width * decoded.height; i++) {
    const d = decoded.data;
    if (d[i * 4] === color[0] && d[i * 4 + 1] === color[1] && d[i * 4 + 2] === color[2]) n++;
  }
  return n;
}

/** Bounding box of the pixels of one colour below `top` (at scale 1 the legend ends above y = 24). */
function extent(
  decoded: DecodedRgba,
  color: readonly number[],
  top = 24,
): { x0: number; x1: number; y0: number; y1: number } {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let y = top; y < decoded.height; y++) {
    for (let x = 0; x < decoded.width; x++) {
      const [r, g, b] = decoded.at(x, y);
      if (r === color[0] && g === color[1] && b === color[2]) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  return { x0, x1, y0, y1 };
}

describe("renderTrainingCurves", () => {
  it("draws the three series in their colours on a 708×476 canvas at the default scale 2", () => {
    const decoded = decodeRgba(renderTrainingCurves(history(10), { epochs: 10 }));
    expect([decoded.width, decoded.height]).toEqual([708, 476]);
    for (const color of Object.values(SERIES_COLORS)) expect(count(decoded, color)).toBeGreaterThan(500);
    // Dark pixels of tick labels, the x label and the legend.
    let dark = 0;
    for (let i = 0; i < decoded.width * decoded.height; i++) if (decoded.data[i * 4]! < 64) dark++;
    expect(dark).toBeGreaterThan(1000);
  });

  it("scales the whole drawing by an integer", () => {
    const one = decodeRgba(renderTrainingCurves(history(3), { scale: 1 }));
    const three = decodeRgba(renderTrainingCurves(history(3), { scale: 3 }));
    expect([three.width, three.height]).toEqual([one.width * 3, one.height * 3]);
    expect(() => renderTrainingCurves(history(3), { scale: 0 })).toThrow(RangeError);
  });

  it("places points by value: the loss falls, the accuracies rise, test acc stays under 1", () => {
    const decoded = decodeRgba(renderTrainingCurves(history(10), { epochs: 10, scale: 1 }));
    const loss = extent(decoded, SERIES_COLORS.trainLoss);
    const test = extent(decoded, SERIES_COLORS.testAcc);
    // Loss spans 0.8 → 0.485, the widest vertical range; test acc spans only 0.79 → 0.835.
    expect(loss.y1 - loss.y0).toBeGreaterThan(test.y1 - test.y0);
    // The loss runs across the plot from epoch 1 to 10.
    expect(loss.x1 - loss.x0).toBeGreaterThan(250);
  });

  it("keeps the x axis at the planned epochs, so a partial run leaves room on the right", () => {
    const partial = decodeRgba(renderTrainingCurves(history(3), { epochs: 10, scale: 1 }));
    const full = decodeRgba(renderTrainingCurves(history(10), { epochs: 10, scale: 1 }));
    expect(extent(partial, SERIES_COLORS.testAcc).x1).toBeLessThan(extent(full, SERIES_COLORS.testAcc).x1 - 150);
  });

  it("gives the same bytes for the same history and different bytes after another epoch", () => {
    const a = renderTrainingCurves(history(4), { epochs: 10 });
    const b = renderTrainingCurves(
      history(4).map((p) => ({ ...p })),
      { epochs: 10 },
    );
    const c = renderTrainingCurves(history(5), { epochs: 10 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it("draws empty axes before the first epoch, a single point after it, and skips NaN", () => {
    expect(decodeRgba(renderTrainingCurves([])).width).toBe(708);
    const one = decodeRgba(renderTrainingCurves(history(1), { epochs: 5 }));
    for (const color of Object.values(SERIES_COLORS)) expect(count(one, color)).toBeGreaterThan(40);
    const broken = [...history(2), { epoch: 3, trainLoss: Number.NaN, trainAcc: 0.1, testAcc: 0.1 }];
    expect(() => renderTrainingCurves(broken)).not.toThrow();
  });

  it("accepts a title line", () => {
    const plain = decodeRgba(renderTrainingCurves(history(2)));
    const titled = decodeRgba(renderTrainingCurves(history(2), { title: "lr 0.1, batch 256" }));
    expect(titled.height).toBeGreaterThan(plain.height);
  });
});

describe("axes", () => {
  it.each([
    [0.07, 0.1],
    [0.2, 0.2],
    [0.21, 0.25],
    [0.3, 0.5],
    [0.9, 1],
    [1.5, 2],
    [4, 5],
    [7, 10],
  ])("niceStep(%f) = %f", (rough, step) => {
    expect(niceStep(rough)).toBeCloseTo(step, 12);
  });

  it("runs the value axis from 0 to a round number at least 1 and above every value", () => {
    expect(valueAxis(history(3)).max).toBe(1);
    expect(valueAxis(history(3)).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const high = valueAxis([{ epoch: 1, trainLoss: 2.31, trainAcc: 0.1, testAcc: 0.1 }]);
    expect(high.max).toBeGreaterThanOrEqual(2.31);
    expect(high.ticks[0]).toBe(0);
  });

  it("numbers epochs from 1 with integer ticks", () => {
    expect(epochAxis(history(3), 10).ticks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(epochAxis(history(1)).max).toBe(2);
    expect(epochAxis([], 50).ticks).toEqual([1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
  });

  it.each([
    [0.4, 0.2, "0.4"],
    [0.5, 0.25, "0.50"],
    [3, 1, "3"],
  ])("formatTick(%f, %f) = %s", (value, step, text) => {
    expect(formatTick(value, step)).toBe(text);
  });
});
