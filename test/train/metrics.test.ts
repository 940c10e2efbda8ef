import { describe, expect, it } from "vitest";
import { Accumulator } from "../../src/train/accumulator.js";
import { accuracy, confusionMatrix, mostConfused, perClassAccuracy } from "../../src/train/metrics.js";

describe("Accumulator", () => {
  it("sums each slot", () => {
    const m = new Accumulator(3);
    m.add(1.5, 2, 10);
    m.add(0.5, 1, 6);
    expect([m.get(0), m.get(1), m.get(2)]).toEqual([2, 3, 16]);
    m.reset();
    expect(m.get(0)).toBe(0);
    expect(() => m.add(1)).toThrow(RangeError);
    expect(() => m.get(3)).toThrow(RangeError);
  });
});

describe("metrics", () => {
  const labels = [0, 0, 1, 1, 2, 6, 6, 6];
  const predicted = [0, 1, 1, 1, 2, 0, 0, 6];

  it("accuracy is the fraction of matches", () => {
    expect(accuracy(predicted, labels)).toBe(5 / 8);
    expect(accuracy([], [])).toBe(0);
    expect(() => accuracy([1], [])).toThrow(RangeError);
  });

  it("confusionMatrix counts rows true, columns predicted", () => {
    const m = confusionMatrix(predicted, labels);
    expect(m.length).toBe(100);
    expect(m[0 * 10 + 0]).toBe(1);
    expect(m[0 * 10 + 1]).toBe(1);
    expect(m[1 * 10 + 1]).toBe(2);
    expect(m[6 * 10 + 0]).toBe(2);
    expect(m[6 * 10 + 6]).toBe(1);
    expect(m.reduce((a, b) => a + b, 0)).toBe(8);
    expect(() => confusionMatrix([10], [0])).toThrow(RangeError);
  });

  it("perClassAccuracy divides the diagonal by the row sums (NaN for an absent class)", () => {
    const per = perClassAccuracy(confusionMatrix(predicted, labels));
    expect(per.slice(0, 3)).toEqual([0.5, 1, 1]);
    expect(per[6]).toBeCloseTo(1 / 3, 15);
    expect(per[3]).toBeNaN();
  });

  it("mostConfused lists the largest off-diagonal cells, largest first, ties in row order", () => {
    const pairs = mostConfused(confusionMatrix(predicted, labels), 3);
    expect(pairs).toEqual([
      { actual: 6, predicted: 0, count: 2 },
      { actual: 0, predicted: 1, count: 1 },
    ]);
    expect(mostConfused(confusionMatrix([1, 2], [1, 2]))).toEqual([]);
  });
});
