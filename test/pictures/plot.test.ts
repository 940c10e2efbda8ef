// Training curves (d2l's Animator as a PNG) and several runs overlaid: decode the picture and check its
// size, that loss and accuracy sit on panels of their own, that each series is drawn in its colour, and
// that the same history gives the same bytes.
import { describe, expect, it } from "vitest";
import {
  type EpochPoint,
  epochAxis,
  formatTick,
  niceStep,
  renderComparisonCurves,
  renderTrainingCurves,
  valueAxis,
} from "../../src/pictures/plot.js";
import { type DecodedRgba, decodeRgba } from "../helpers/raw-png.js";

const SERIES_COLORS = {
  trainLoss: [31, 119, 180],
  trainAcc: [191, 0, 191],
  testAcc: [0, 128, 0],
} as const;
const VAL_ACC = [230, 120, 0] as const;

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

/** Bounding box of the pixels of one colour above `bottom` (the legend sits under the panels). */
function extent(
  decoded: DecodedRgba,
  color: readonly number[],
  bottom = decoded.height - 20,
): { x0: number; x1: number; y0: number; y1: number } {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let y = 0; y < bottom; y++) {
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
  it("draws the three series in their colours on a 612×242 canvas at scale 2 (the default)", () => {
    const decoded = decodeRgba(renderTrainingCurves(history(10), { epochs: 10 }));
    expect([decoded.width, decoded.height]).toEqual([1224, 484]);
    for (const color of Object.values(SERIES_COLORS)) expect(count(decoded, color)).toBeGreaterThan(500);
    // Dark pixels of tick labels, the axis labels, the panel titles and the legend.
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

  it("puts the loss on the left panel and the accuracies on the right", () => {
    const decoded = decodeRgba(renderTrainingCurves(history(10), { epochs: 10, scale: 1 }));
    const loss = extent(decoded, SERIES_COLORS.trainLoss);
    const train = extent(decoded, SERIES_COLORS.trainAcc);
    const test = extent(decoded, SERIES_COLORS.testAcc);
    expect(loss.x1).toBeLessThan(decoded.width / 2);
    expect(train.x0).toBeGreaterThan(decoded.width / 2);
    expect(test.x0).toBeGreaterThan(decoded.width / 2);
    // The loss runs across its panel from epoch 1 to 10.
    expect(loss.x1 - loss.x0).toBeGreaterThan(200);
  });

  it("a loss of 17.9 does not flatten the accuracy lines: they keep the height of their own panel", () => {
    const calm = history(10);
    const wild = calm.map((p, i) => (i === 0 ? { ...p, trainLoss: 17.9 } : p));
    const before = extent(decodeRgba(renderTrainingCurves(calm, { epochs: 10, scale: 1 })), SERIES_COLORS.trainAcc);
    const after = extent(decodeRgba(renderTrainingCurves(wild, { epochs: 10, scale: 1 })), SERIES_COLORS.trainAcc);
    expect(after).toEqual(before);
    // Train acc spans 0.76 → 0.85 and fills most of the 170-pixel plot height.
    expect(after.y1 - after.y0).toBeGreaterThan(120);
  });

  it("keeps the x axis at the planned epochs, so a partial run leaves room on the right", () => {
    const partial = decodeRgba(renderTrainingCurves(history(3), { epochs: 10, scale: 1 }));
    const full = decodeRgba(renderTrainingCurves(history(10), { epochs: 10, scale: 1 }));
    expect(extent(partial, SERIES_COLORS.testAcc).x1).toBeLessThan(extent(full, SERIES_COLORS.testAcc).x1 - 150);
  });

  it("draws one epoch as a point in the middle of each panel, not on the y axis", () => {
    const decoded = decodeRgba(renderTrainingCurves(history(1), { epochs: 1, scale: 1 }));
    const loss = extent(decoded, SERIES_COLORS.trainLoss);
    const test = extent(decoded, SERIES_COLORS.testAcc);
    // The panels' plots are 240 pixels wide, starting 52 pixels into each 306-pixel half.
    expect(Math.abs((loss.x0 + loss.x1) / 2 - (52 + 120))).toBeLessThan(3);
    expect(Math.abs((test.x0 + test.x1) / 2 - (306 + 52 + 120))).toBeLessThan(3);
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

  it("draws empty axes before the first epoch and skips NaN", () => {
    expect(decodeRgba(renderTrainingCurves([])).width).toBe(1224);
    const broken = [...history(2), { epoch: 3, trainLoss: Number.NaN, trainAcc: 0.1, testAcc: 0.1 }];
    expect(() => renderTrainingCurves(broken)).not.toThrow();
  });

  it("draws validation accuracy when the epochs have it, and no test line when they do not", () => {
    const validation = history(5).map(({ testAcc, ...p }) => ({ ...p, valAcc: testAcc! - 0.01 }));
    const decoded = decodeRgba(renderTrainingCurves(validation, { epochs: 5 }));
    expect(count(decoded, VAL_ACC)).toBeGreaterThan(500);
    expect(count(decoded, SERIES_COLORS.testAcc)).toBe(0);
    expect(count(decodeRgba(renderTrainingCurves(history(5))), VAL_ACC)).toBe(0);
  });

  it("accepts a title line", () => {
    const plain = decodeRgba(renderTrainingCurves(history(2)));
    const titled = decodeRgba(renderTrainingCurves(history(2), { title: "lr 0.1, batch 256" }));
    expect(titled.height).toBeGreaterThan(plain.height);
  });
});

describe("renderComparisonCurves", () => {
  const RUN_COLORS = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
  ];
  const runs = ["loss=cross-entropy", "loss=mse", "loss=hinge"].map((label, k) => ({
    label,
    epochs: history(10).map((p) => ({ ...p, trainLoss: p.trainLoss * (1 + k), testAcc: p.testAcc! - 0.02 * k })),
  }));

  it("draws each run in its own colour on both panels", () => {
    const decoded = decodeRgba(renderComparisonCurves(runs, { epochs: 10, scale: 1 }));
    for (const color of RUN_COLORS) {
      const left = extent(decoded, color, decoded.height - 20);
      expect(left.x0).toBeLessThan(decoded.width / 2);
      expect(left.x1).toBeGreaterThan(decoded.width / 2);
    }
  });

  it("orders the runs by value: a higher loss is drawn higher, a lower accuracy lower", () => {
    const decoded = decodeRgba(renderComparisonCurves(runs, { epochs: 10, scale: 1 }));
    // The last point (epoch 10) of each run on each panel: the rightmost pixels of its colour in that half.
    const lastY = (color: readonly number[], half: 0 | 1) => {
      const x = half === 0 ? 52 + 240 : 306 + 52 + 240;
      for (let y = 0; y < decoded.height - 20; y++) {
        const [r, g, b] = decoded.at(x, y);
        if (r === color[0] && g === color[1] && b === color[2]) return y;
      }
      throw new Error(`no pixel of ${color} at x = ${x}`);
    };
    const [a, b, c] = RUN_COLORS as [number[], number[], number[]];
    expect(lastY(a, 0)).toBeGreaterThan(lastY(b, 0));
    expect(lastY(b, 0)).toBeGreaterThan(lastY(c, 0));
    expect(lastY(a, 1)).toBeLessThan(lastY(b, 1));
    expect(lastY(b, 1)).toBeLessThan(lastY(c, 1));
  });

  it("prefers validation accuracy where the runs have it", () => {
    const validated = runs.map((run) => ({
      ...run,
      epochs: run.epochs.map(({ testAcc, ...p }) => ({ ...p, valAcc: testAcc })),
    }));
    const a = renderComparisonCurves(runs, { epochs: 10 });
    const b = renderComparisonCurves(validated, { epochs: 10 });
    // Same values, another panel title ("val accuracy" instead of "test accuracy").
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(decodeRgba(b).width).toBe(decodeRgba(a).width);
  });

  it("wraps a long legend into more rows and stays deterministic", () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ label: `lr=0.${i + 1} seed=${i}`, epochs: history(3) }));
    const few = decodeRgba(renderComparisonCurves(runs.slice(0, 2)));
    const lots = decodeRgba(renderComparisonCurves(many));
    expect(lots.height).toBeGreaterThan(few.height);
    expect(Buffer.from(renderComparisonCurves(many)).equals(Buffer.from(renderComparisonCurves(many)))).toBe(true);
    expect(decodeRgba(renderComparisonCurves([])).width).toBe(1224);
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

  it("starts a loss axis at 0 and ends it at a round number above every value", () => {
    expect(valueAxis([0.8, 0.5], { from: 0 }).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const high = valueAxis([17.9, 3], { from: 0 });
    expect(high.max).toBeGreaterThanOrEqual(17.9);
    expect(high.ticks[0]).toBe(0);
  });

  it("fits an accuracy axis to the values, inside [0, 1]", () => {
    const axis = valueAxis([0.76, 0.85], { floor: 0, ceiling: 1 });
    expect(axis.min).toBeGreaterThan(0.6);
    expect(axis.min).toBeLessThan(0.76);
    expect(axis.max).toBeGreaterThan(0.85);
    expect(axis.max).toBeLessThanOrEqual(1);
    expect(valueAxis([0.99, 1], { floor: 0, ceiling: 1 }).max).toBe(1);
    expect(valueAxis([0.02, 0.5], { floor: 0, ceiling: 1 }).min).toBe(0);
    // One value gets a range around it.
    const one = valueAxis([0.8], { floor: 0, ceiling: 1 });
    expect(one.min).toBeLessThan(0.8);
    expect(one.max).toBeGreaterThan(0.8);
  });

  it("numbers epochs from 1 with integer ticks; one epoch sits in the middle", () => {
    expect(epochAxis(10).ticks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(epochAxis(1)).toEqual({ min: 0.5, max: 1.5, step: 1, ticks: [1] });
    expect(epochAxis(50).ticks).toEqual([1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
  });

  it.each([
    [0.4, 0.2, "0.4"],
    [0.5, 0.25, "0.50"],
    [3, 1, "3"],
  ])("formatTick(%f, %f) = %s", (value, step, text) => {
    expect(formatTick(value, step)).toBe(text);
  });
});
